import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

// Loading data and keeping it fresh: every view shows loading, error and data
// states from one hook, and polls while something is in transition.

export interface Async<T> {
  state: 'loading' | 'ready' | 'error';
  data: T | undefined;
  error: unknown;
  /** Loads again; the current data stays on screen meanwhile. */
  reload: () => void;
}

/**
 * What `load` gives, loaded again when `deps` change. A result remembers the load it came
 * from, so in the very render where the deps change it already counts as loading: the
 * old deps' data never shows beside the new deps' props (a new search's empty text over
 * the old search's rows), not even for the frame before the effect asks again.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const run = useCallback(load, deps);
  const [result, setResult] = useState<Loaded<T>>({ of: undefined, ...LOADING });
  const sequence = useRef(0);
  // reload always loads for the current deps: an action that kept the reload of its time
  // (a list refreshed after an Accept, clicked before a page change) must not load the old
  // deps and leave the new ones loading for good.
  const latest = useRef(run);
  latest.current = run;
  const reload = useCallback(() => {
    const current = latest.current;
    const mine = ++sequence.current;
    current().then(
      (data) => {
        if (mine === sequence.current) setResult({ of: current, state: 'ready', data, error: undefined });
      },
      (error: unknown) => {
        if (mine === sequence.current) {
          setResult((r) => ({
            of: current,
            state: 'error',
            data: r.of === current ? r.data : undefined,
            error,
          }));
        }
      },
    );
  }, []);
  useEffect(() => {
    reload();
    // A late answer of a view that has gone, or of deps that have changed, is dropped.
    return () => void ++sequence.current;
  }, [run]);
  const { state, data, error } = result.of === run ? result : LOADING;
  return { state, data, error, reload };
}

const LOADING = { state: 'loading', data: undefined, error: undefined } as const;

/** A result with the load it came from. */
interface Loaded<T> extends Omit<Async<T>, 'reload'> {
  of: unknown;
}

/** Calls `tick` every `ms` while `active` holds and the tab is visible. */
export function usePoll(tick: () => void, active: boolean, ms = 1000): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, ms);
    return () => clearInterval(timer);
  }, [active, ms]);
}

/** Resources in a transition the API finishes by itself. */
export function transient(status: string): boolean {
  return status === 'creating' || status === 'deleting';
}

/** An endpoint not settled yet: in a transition, or waiting for its provider to decide. */
export function unsettled(status: string): boolean {
  return transient(status) || status === 'pendingAcceptance';
}

/** The same loading state over a part of the data (a page's items). */
export function mapAsync<T, U>(source: Async<T>, pick: (t: T) => U): Async<U> {
  return { ...source, data: source.data === undefined ? undefined : pick(source.data) };
}

/**
 * Deleting the resource a page shows: `removing` holds from the request on
 * (and after it succeeded, until the page goes), so the page's polls stop
 * instead of asking for what is gone; a failed delete lets them run again.
 */
export function useRemoval(remove: () => Promise<unknown>): {
  removing: boolean;
  run: () => Promise<unknown>;
} {
  const [removing, setRemoving] = useState(false);
  return {
    removing,
    run: () => {
      setRemoving(true);
      return remove().catch((err: unknown) => {
        setRemoving(false);
        throw err;
      });
    },
  };
}
