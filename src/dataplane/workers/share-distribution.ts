/**
 * Brings workers to their share of the listener plan, in the two rounds the
 * supervisor's module comment describes (detach, then commit), lending the
 * TCP listening sockets one worker bound to the others.
 */
import type { ListeningHandle } from '../forwarder/listener.ts';
import type { ApplyResult, ListenerSpec } from '../forwarder/types.ts';
import { diffShare, workerShare } from './listener-plan.ts';
import type { SpecDiff } from './protocol.ts';
import { closeHandle, type Slot } from './supervised-worker.ts';
import type { WorkerChannel } from './worker-channel.ts';

interface Work {
  slot: Slot;
  share: Map<string, ListenerSpec>;
  diff: SpecDiff & { replaces: boolean };
}

export class ShareDistribution {
  readonly #all: readonly Slot[];
  readonly #channel: WorkerChannel;

  /** `all`: every worker slot, ready or not (shares are cut by their number). */
  constructor(all: readonly Slot[], channel: WorkerChannel) {
    this.#all = all;
    this.#channel = channel;
  }

  /** Brings `slots` to their share of `runnable`. */
  async distribute(
    slots: readonly Slot[],
    runnable: ReadonlyMap<string, ListenerSpec>,
  ): Promise<ApplyResult[]> {
    const work: Work[] = slots.map((slot) => {
      const share = workerShare(runnable, slot.index, this.#all.length);
      return { slot, share, diff: diffShare(slot.sent, share) };
    });
    const detach = work.some((w) => w.diff.replaces);
    if (detach) {
      await Promise.all(
        work.map(({ slot, share, diff }) => {
          slot.sent = share;
          for (const key of diff.removals) slot.running.delete(key);
          for (const spec of diff.upserts) slot.running.delete(spec.key);
          return this.#channel.request(slot, {
            t: 'apply',
            phase: 'detach',
            upserts: diff.upserts,
            removals: diff.removals,
          });
        }),
      );
    }
    // A TCP socket no worker holds yet is bound by the first worker alone; the others get it
    // from there. Without such sockets every worker commits at once.
    const unbound = work.some(({ share }) =>
      [...share.values()].some(
        (spec) => spec.protocol === 'TCP' && !this.#all.some((s) => s.ready && s.running.has(spec.key)),
      ),
    );
    const [first, ...rest] = unbound ? work : [];
    const results = first === undefined ? [] : [await this.#commit(first, detach)];
    results.push(...(await Promise.all((unbound ? rest : work).map((w) => this.#commit(w, detach)))));
    return results.filter((r): r is ApplyResult => r !== undefined);
  }

  async #commit({ slot, share, diff }: Work, detached: boolean): Promise<ApplyResult | undefined> {
    slot.sent = share;
    await this.#lendTo(slot, share);
    const body: SpecDiff = detached
      ? { upserts: [], removals: [] }
      : { upserts: diff.upserts, removals: diff.removals };
    const answer = await this.#channel.request(slot, { t: 'apply', phase: 'commit', ...body });
    if (answer?.t !== 'done' || answer.result === undefined) return undefined;
    const failed = new Set(answer.result.failed.map((f) => f.key));
    slot.running = new Set([...share.keys()].filter((key) => !failed.has(key)));
    return answer.result;
  }

  /** Passes `slot` the listening sockets of the TCP listeners it lacks that another worker runs. */
  async #lendTo(slot: Slot, share: ReadonlyMap<string, ListenerSpec>): Promise<void> {
    const byHolder = new Map<Slot, string[]>();
    for (const [key, spec] of share) {
      if (spec.protocol !== 'TCP' || slot.running.has(key)) continue;
      const holder = this.#all.find((s) => s !== slot && s.ready && s.running.has(key));
      if (holder === undefined) continue;
      byHolder.set(holder, [...(byHolder.get(holder) ?? []), key]);
    }
    await Promise.all(
      [...byHolder].map(async ([holder, keys]) => {
        const handles = await this.#borrow(holder, keys);
        for (const [key, handle] of handles) {
          // This process keeps no copy once the worker has it.
          if (!this.#channel.post(slot, { t: 'share', key }, handle, () => closeHandle(handle)))
            closeHandle(handle);
        }
      }),
    );
  }

  async #borrow(holder: Slot, keys: string[]): Promise<Map<string, ListeningHandle>> {
    let id = 0;
    const answered = this.#channel.request(holder, { t: 'lend', keys }, (requestId) => {
      id = requestId;
      holder.lent.set(id, new Map());
    });
    await answered;
    const handles = holder.lent.get(id) ?? new Map<string, ListeningHandle>();
    holder.lent.delete(id);
    return handles;
  }
}
