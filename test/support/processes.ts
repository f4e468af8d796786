// What /proc says about processes a test or a bench started (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

/** The child processes of `pid` (from every one of its threads), or [] if it is gone. */
export function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((s) => s.trim() !== '')
        .map(Number);
    } catch {
      return [];
    }
  });
}

/** Every process below `pid`, children first. */
export function descendantsOf(pid: number): number[] {
  const children = childrenOf(pid);
  return [...children, ...children.flatMap(descendantsOf)];
}
