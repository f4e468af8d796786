// Views of kept rows. While no commit has happened, SQLite's read connection
// hands every GET of a resource the same frozen row (store/prepared.ts
// SharedRead), so the API object built from it is built once, frozen, and
// handed out again; entries go with their rows once the store stops handing
// them out.
import type { SharedRead } from '../../store/prepared.ts';

/**
 * Freezes `value` and every object and array it holds, so that one object can
 * be handed to many requests without any of them changing it for the others.
 * For plain data (JSON-shaped views).
 */
function deepFreeze(value: unknown): void {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
}

/**
 * The view `present` makes of a read, made once per kept row: a view built
 * from a kept row is shared by the requests that read it and is frozen, all
 * the way down; one built from any other read is the caller's alone.
 */
export function keptViews<S, V extends object>(present: (shown: S) => V): (read: SharedRead<S>) => V {
  const views = new WeakMap<object, V>();
  return (read) => {
    const known = read.kept && views.get(read.kept);
    if (known) return known;
    const view = present(read.shown());
    if (read.kept) {
      deepFreeze(view);
      views.set(read.kept, view);
    }
    return view;
  };
}
