/**
 * Change hints between nodes that share a PostgreSQL database, over
 * LISTEN/NOTIFY: an API node's accept, reject or delete reaches a separate
 * data-plane node in milliseconds instead of at its next full re-read. Hints
 * only: a lost one (the listening connection dropped) is covered by asking the
 * data plane for a full re-read once the connection is back.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { VpcepChange } from '../vpcep/deps.ts';
import type { Database } from './schema.ts';

const CHANNEL = 'vpcep_changes';
/** Notifications per statement: far below PostgreSQL's limit on a statement's parameters. */
const MAX_PER_STATEMENT = 200;

export interface ChangeFeedOptions {
  url: string;
  db: Kysely<Database>;
  /** A change published by another node. */
  onChange(change: VpcepChange): void;
  /** Another node changed IAM users, groups, policies, grants or keys. */
  onIdentityChange?(): void;
  /** The listening connection was re-established: hints may have been missed. */
  onResubscribed(): void;
  log: { warn(obj: object, msg?: string): void };
}

interface Wire {
  node: string;
  kind: string;
  id: string;
}

function parse(payload: string | undefined): Wire | undefined {
  try {
    const v = JSON.parse(payload ?? '') as Partial<Wire>;
    return typeof v.node === 'string' &&
      typeof v.id === 'string' &&
      (v.kind === 'endpoint' || v.kind === 'service' || v.kind === 'iam')
      ? (v as Wire)
      : undefined;
  } catch {
    return undefined;
  }
}

export class PgChangeFeed {
  readonly #opts: ChangeFeedOptions;
  /** Lets a node ignore its own notifications, which it already handled in process. */
  readonly #node = randomUUID();
  #client: pg.Client | undefined;
  #listening = false;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs = 250;
  #closed = false;
  /** Hints waiting for this turn's flush, each once. */
  readonly #pending = new Set<string>();

  constructor(opts: ChangeFeedOptions) {
    this.#opts = opts;
  }

  /**
   * Sends a hint to the other nodes; never throws (a lost hint costs one resync
   * period). Hints published in one turn of the event loop (fifty creates that
   * finished together) leave in one statement, one notification each in the
   * format every node reads: one pool connection and one round trip instead of
   * one per change.
   */
  publish(change: VpcepChange | { kind: 'iam'; id: '' }): void {
    this.#pending.add(JSON.stringify({ node: this.#node, kind: change.kind, id: change.id }));
    if (this.#pending.size === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const payloads = [...this.#pending];
    this.#pending.clear();
    for (let i = 0; i < payloads.length; i += MAX_PER_STATEMENT) {
      const calls = payloads.slice(i, i + MAX_PER_STATEMENT).map((p) => sql`pg_notify(${CHANNEL}, ${p})`);
      sql`SELECT ${sql.join(calls)}`.execute(this.#opts.db).catch((err: unknown) => {
        this.#opts.log.warn({ err }, 'could not publish a change notification');
      });
    }
  }

  /** Tells the other nodes that IAM changed, so they drop cached permissions. */
  publishIdentityChange(): void {
    this.publish({ kind: 'iam', id: '' });
  }

  /** Starts listening; resolves once the first LISTEN is in place (or failed, then retries). */
  async listen(): Promise<void> {
    this.#listening = true;
    await this.#connect(false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(resubscribed: boolean): Promise<void> {
    if (this.#closed || !this.#listening) return;
    // TCP keepalive notices a peer that vanished without closing (a partition), which
    // would otherwise leave this connection silently deaf.
    const client = new pg.Client({
      connectionString: this.#opts.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
    });
    const lost = (err?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      if (err !== undefined) this.#opts.log.warn({ err }, 'change feed connection lost; reconnecting');
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      const wire = parse(msg.payload);
      if (wire === undefined || wire.node === this.#node) return;
      if (wire.kind === 'iam') {
        this.#opts.onIdentityChange?.();
        return;
      }
      this.#opts.onChange({ kind: wire.kind as VpcepChange['kind'], id: wire.id });
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.#opts.log.warn({ err }, 'change feed could not listen; retrying');
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#backoffMs = 250;
    if (resubscribed) this.#opts.onResubscribed();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, 10_000);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect(true);
    }, delay);
    this.#retry.unref();
  }
}
