// Preloaded into the vpcep server by bench/dataplane.ts, with --expose-gc, for
// the memory figures only: on SIGUSR2 it runs full garbage collections and
// prints one line naming its process, so the bench reads RSS with the heap
// holding live objects only. Without it, V8's memory reducer frees tens of MB
// at moments of its own choosing (seconds after activity stops), and a
// before/after RSS difference measures that timing rather than what
// connections cost. The data plane's processes inherit node's flags, so each
// of them loads it too. Nothing else changes: no other signal, no timer.
const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (gc === undefined) {
    process.stdout.write(`vpcep-bench-gc unavailable ${process.pid}\n`);
    return;
  }
  // Twice: objects with finalizers or weak references die in the second pass.
  gc();
  gc();
  process.stdout.write(`vpcep-bench-gc done ${process.pid}\n`);
});
