/**
 * Ends a benchmark's server child when its parent says so (SIGTERM/SIGINT) or
 * goes away (stdin closes), closing `close` first; a stuck close still ends the
 * process after 5 s, so a bench never leaves servers behind.
 */
export function exitWithParent(name: string, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (code: number) => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(code === 0 ? 1 : code), 5000).unref();
    close().then(
      () => process.exit(code),
      (err: unknown) => {
        console.error(`${name}: close failed:`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
}
