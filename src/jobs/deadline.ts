import type { KyselyPlugin, Transaction } from 'kysely';
import { drainQueued } from '../store/drain.ts';
import type { Database } from '../store/schema.ts';

// A job handler runs inside a transaction, and on SQLite that transaction holds
// the store's only connection: a handler that never finishes would stop the API
// and every other job. So a handler gets a deadline. When it passes, the worker
// gives up on the handler, the transaction rolls back and the connection goes
// back to the pool, while the handler's own code may still be running.
//
// Kysely 0.28 refuses a Transaction once its COMMIT or ROLLBACK has *finished*,
// but not while the ROLLBACK is under way, and a statement compiled before that
// and still queued behind a running one on the connection passes its check and
// is sent after the ROLLBACK (on PostgreSQL, in autocommit, on a connection that
// may already belong to someone else). Hence two guards: the handler's
// Transaction refuses every statement from the moment the deadline passes, and
// before rolling back the worker lets the statements already queued run (inside
// the transaction, which then rolls them back).

export class HandlerTimeout extends Error {
  constructor(ms: number) {
    super(`job handler did not finish within ${ms} ms; its transaction was rolled back`);
    this.name = 'HandlerTimeout';
  }
}

/** What an abandoned handler's next statement throws instead of running. */
export class AbandonedTransaction extends Error {
  constructor() {
    super('this job handler ran past its deadline; its transaction was rolled back and takes no statements');
    this.name = 'AbandonedTransaction';
  }
}

/**
 * Runs `fn` on a guarded view of `trx`; rejects with HandlerTimeout once `ms`
 * have passed, after the statements it already issued have run.
 */
export async function withDeadline(
  trx: Transaction<Database>,
  ms: number,
  fn: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  let abandoned = false;
  const guard: KyselyPlugin = {
    transformQuery(args) {
      if (abandoned) throw new AbandonedTransaction();
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned = true;
      reject(new HandlerTimeout(ms));
    }, ms);
  });
  try {
    await Promise.race([fn(trx.withPlugin(guard)), deadline]);
  } catch (err) {
    // Once the statements already queued have run, nothing the handler sent can follow the ROLLBACK.
    if (abandoned) await drainQueued(trx).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
