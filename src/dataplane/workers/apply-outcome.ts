/**
 * The answer to one listener-set change: the workers' results merged into
 * one, the plan's conflicts and what no running worker holds reported as
 * failed, and the number of listeners that run.
 */
import type { ApplyResult } from '../forwarder/types.ts';
import { udpOwner, type Plan } from './listener-plan.ts';

export function applyOutcome(
  plan: Plan,
  results: readonly ApplyResult[],
  slots: readonly { ready: boolean }[],
): { result: ApplyResult; listeners: number } {
  const failed = new Map<string, ApplyResult['failed'][number]>();
  for (const c of plan.conflicts) failed.set(c.key, c);
  const started = new Set<string>();
  const stopped = new Set<string>();
  const updated = new Set<string>();
  for (const r of results) {
    r.started.forEach((k) => started.add(k));
    r.stopped.forEach((k) => stopped.add(k));
    r.updated.forEach((k) => updated.add(k));
    for (const f of r.failed) if (!failed.has(f.key)) failed.set(f.key, f);
  }
  // What no running worker holds: UDP listeners of a worker that is restarting, or
  // everything while none runs.
  const anyReady = slots.some((s) => s.ready);
  for (const [key, spec] of plan.runnable) {
    if (failed.has(key)) continue;
    const owner = udpOwner(spec, slots.length);
    if (!anyReady) failed.set(key, { key, error: 'no data-plane worker is running' });
    else if (owner !== undefined && slots[owner]?.ready !== true) {
      failed.set(key, { key, error: `data-plane worker ${owner} is restarting` });
    }
  }
  const sorted = (set: Set<string>) => [...set].sort();
  const result: ApplyResult = {
    started: sorted(started),
    stopped: sorted(stopped),
    updated: sorted(updated),
    failed: [...failed.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
  let listeners = 0;
  for (const key of plan.runnable.keys()) if (!failed.has(key)) listeners++;
  return { result, listeners };
}
