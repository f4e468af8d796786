import type { Kysely } from 'kysely';
import type { Role } from '../config/schema.ts';
import type { Dataplane } from '../dataplane/runtime.ts';
import type { Database } from '../store/schema.ts';
import type { ReadinessCheck, ReadinessLog } from './readiness.ts';
import { selectOne } from './repository.ts';

// The checks of one node, by its roles: every node needs its store; a node
// with `jobs` needs its worker polling, one with `dataplane` the data plane's
// first full read of the store applied, one with `dns` its DNS server bound
// (and fed by that first read). Components are created after the HTTP server,
// so the checks read them through getters.

/** How long the store may take to answer `SELECT 1` before it counts as unreachable. */
const DATABASE_TIMEOUT_MS = 2000;

export interface NodeParts {
  roles: readonly Role[];
  db: Kysely<Database>;
  jobs: () => { status(): { running: boolean; pollFailing: boolean } } | undefined;
  dataplane: () => Dataplane | undefined;
  /** Checks of other parts of the node (the declared test bed). */
  extra?: readonly ReadinessCheck[];
  log?: ReadinessLog & { warn(obj: object, msg?: string): void };
}

/**
 * The store answers a trivial query within DATABASE_TIMEOUT_MS. A query still
 * pending from an earlier probe is waited for, not sent again, so a hung
 * database never collects more than one probe query.
 */
function databaseCheck(db: Kysely<Database>, log: NodeParts['log']): ReadinessCheck {
  let pending: Promise<unknown> | undefined;
  let failing = false;
  return {
    name: 'database',
    async probe() {
      pending ??= selectOne(db).then(
        () => undefined,
        (err: unknown) => err ?? new Error('unknown error'),
      );
      const query = pending;
      void query.finally(() => {
        if (pending === query) pending = undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), DATABASE_TIMEOUT_MS);
        timer.unref();
      });
      try {
        const outcome = await Promise.race([query, timedOut]);
        if (outcome === 'timeout') return 'no answer';
        if (outcome !== undefined) {
          // The error's text may name hosts and users: for the operator's log only, once per outage.
          if (!failing) log?.warn({ err: outcome }, 'readiness: the database refused the probe query');
          failing = true;
          return 'unreachable';
        }
        failing = false;
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export function nodeChecks(parts: NodeParts): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [databaseCheck(parts.db, parts.log)];
  const firstPassDone = () => (parts.dataplane()?.controller.status().passes ?? 0) > 0;
  if (parts.roles.includes('jobs')) {
    checks.push({
      name: 'jobs',
      probe() {
        const status = parts.jobs()?.status();
        if (!status?.running) return 'not running';
        return status.pollFailing ? 'cannot poll the store' : undefined;
      },
    });
  }
  if (parts.roles.includes('dataplane')) {
    checks.push({
      name: 'dataplane',
      probe: () => (firstPassDone() ? undefined : 'first pass not done'),
    });
  }
  if (parts.roles.includes('dns')) {
    checks.push({
      name: 'dns',
      probe() {
        const dp = parts.dataplane();
        if (dp?.dnsError !== undefined) return 'not bound';
        if (dp?.dns === undefined) return 'not started';
        return firstPassDone() ? undefined : 'first pass not done';
      },
    });
  }
  return [...checks, ...(parts.extra ?? [])];
}
