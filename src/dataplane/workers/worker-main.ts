/**
 * Entry point of a data-plane worker process, started by the supervisor.
 * Exits when the supervisor goes away, however it went.
 */
import type { ListeningHandle } from '../forwarder/listener.ts';
import { settingsFromEnv, type FromWorker, type ToWorker } from './protocol.ts';
import { Worker } from './worker.ts';

const send = (msg: FromWorker): void => {
  // After a disconnect there is nobody to tell: the process is on its way out.
  if (process.connected) process.send?.(msg);
};

// The handle travels with the message; the supervisor waits for this process to take it.
const sendHandle = (msg: FromWorker, handle: ListeningHandle): void => {
  if (process.connected) process.send?.(msg, handle as Parameters<NonNullable<typeof process.send>>[1]);
};

const worker = new Worker(settingsFromEnv(), send, sendHandle);
process.on('message', (msg: ToWorker, handle?: ListeningHandle) => {
  worker.handle(msg, handle).then(
    () => {
      if (msg.t === 'close') process.exit(0);
    },
    (err: unknown) => {
      // A bug, not a traffic problem: let the supervisor restart a clean process.
      process.stderr.write(
        `vpcep data-plane worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(70);
    },
  );
});
process.on('disconnect', () => process.exit(0));
send({ t: 'ready' });
