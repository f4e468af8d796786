// Preloaded into the vpcep server by bench/dataplane.ts, with --expose-gc, for
// figure (d) only: on SIGUSR2 it runs full garbage collections and prints one
// line, so the bench reads RSS with the heap holding live objects only. Without
// it, V8's memory reducer frees tens of MB at moments of its own choosing
// (seconds after activity stops), and a before/after RSS difference measures
// that timing rather than what connections cost. Nothing else changes in the
// server: no other signal, no timer, and the CLI runs as usual.
const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (gc === undefined) {
    process.stdout.write('vpcep-bench-gc unavailable\n');
    return;
  }
  // Twice: objects with finalizers or weak references die in the second pass.
  gc();
  gc();
  process.stdout.write('vpcep-bench-gc done\n');
});
