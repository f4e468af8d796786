/**
 * The supervisor's side of its workers' IPC channels: posting a message (with
 * a listening socket, if any), and requests whose answers are matched by id,
 * with a timeout that kills a worker that does not answer.
 */
import type { ChildProcess } from 'node:child_process';
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { FromWorker, SpecDiff, ToWorker } from './protocol.ts';
import type { Slot } from './supervised-worker.ts';

/** A worker that has not answered a request by then is killed (and restarted). */
const REQUEST_TIMEOUT_MS = 60_000;

export type WorkerRequest =
  ({ t: 'apply'; phase: 'detach' | 'commit' } & SpecDiff) | { t: 'lend'; keys: string[] } | { t: 'flush' };

export type ChannelLog = (level: 'warn' | 'info', obj: Record<string, unknown>, msg: string) => void;

export class WorkerChannel {
  readonly #log: ChannelLog;
  #nextId = 0;

  constructor(log: ChannelLog) {
    this.#log = log;
  }

  request(slot: Slot, msg: WorkerRequest, before?: (id: number) => void): Promise<FromWorker | undefined> {
    const id = ++this.#nextId;
    before?.(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#log(
          'warn',
          { worker: slot.index, request: msg.t },
          'data-plane worker does not answer; killing it',
        );
        slot.proc?.kill('SIGKILL');
      }, REQUEST_TIMEOUT_MS);
      slot.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (!this.post(slot, { ...msg, id })) this.answer(slot, id, undefined);
    });
  }

  answer(slot: Slot, id: number, answer: FromWorker | undefined): void {
    const done = slot.pending.get(id);
    slot.pending.delete(id);
    done?.(answer);
  }

  post(slot: Slot | undefined, msg: ToWorker, handle?: ListeningHandle, sent?: () => void): boolean {
    const proc = slot?.proc;
    if (proc === undefined || !proc.connected) return false;
    const done = (err: Error | null): void => {
      if (err) this.#log('warn', { worker: slot?.index, err }, 'could not reach a data-plane worker');
      sent?.();
    };
    // The handle is a listening socket, which node's IPC passes as its own kind of handle.
    if (handle !== undefined) proc.send(msg, handle as Parameters<ChildProcess['send']>[1], done);
    else proc.send(msg, done);
    return true;
  }
}
