/**
 * Keeps the running listeners and DNS records equal to what the store says.
 *
 * The store is the only source of truth (a crash, a restart or another node's
 * change all converge the same way): change notifications from this process
 * trigger a targeted re-read of the endpoints or services they name, and a
 * periodic full re-read catches everything else. Passes never overlap; a
 * change arriving during a pass is handled by the next one.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { VpcepChange } from '../vpcep/deps.ts';
import {
  acceptedInterfaceEndpoints,
  endpointDnsRecords,
  existingEndpointIds,
  forwardingFingerprint,
  subnetClaims,
  type DnsRecord,
  type ForwardingEndpoint,
} from '../vpcep/endpoints/dataplane.ts';
import { ContestedAddresses } from './contested.ts';
import { endpointListeners, SKIP_REASONS, type ForwardingSettings, type SkipReason } from './desired.ts';
import type { ListenerSpec } from './forwarder/types.ts';
import type { DnsZoneTable } from './dns/records.ts';
import type { EndpointCounters } from './forwarder/counters.ts';
import type { Forwarding } from './forwarding.ts';

export interface ControllerLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export interface ControllerOptions {
  db: Kysely<Database>;
  /** Present when this node forwards traffic (role `dataplane`). */
  forwarding?: Forwarding;
  counters?: EndpointCounters;
  /** Present when this process answers DNS (role `dns`). */
  dns?: DnsZoneTable;
  settings: ForwardingSettings;
  /** The listeners of an endpoint when they are not the loopback ones (`network: namespaces`). */
  plan?: (ep: ForwardingEndpoint) => ListenerSpec[] | SkipReason;
  /** Period of the full re-read. */
  resyncMs: number;
  /** Retry delay after a listener failed to bind (bounded by resyncMs). */
  retryMs?: number;
  log: ControllerLog;
}

export interface ControllerStatus {
  /** Endpoints that should carry traffic (accepted, enabled, service available). */
  forwardingEndpoints: number;
  /** Of those, endpoints with no listener, by reason. */
  skipped: Record<SkipReason, number>;
  listeners: number;
  /** Listener keys that failed to start in the last pass, with the reason. */
  failed: { key: string; error: string }[];
  dnsRecords: number;
  passes: number;
  /** How long the last full re-read of the store took. */
  lastFullReadMs: number;
  /** Passes that could not read the store. */
  errors: number;
}

interface Pending {
  /** Re-read everything, unless the store's fingerprint says nothing changed. */
  full: boolean;
  /** Re-read everything whatever the fingerprint says. */
  force: boolean;
  /** Apply the known desired state again (listeners that failed to bind). */
  reapply: boolean;
  endpoints: Set<string>;
  services: Set<string>;
}

function nothingPending(): Pending {
  return { full: false, force: false, reapply: false, endpoints: new Set(), services: new Set() };
}

function idle(p: Pending): boolean {
  return !p.full && !p.force && !p.reapply && p.endpoints.size === 0 && p.services.size === 0;
}

/** Skip reasons that stop a cross-tenant path: logged when an endpoint starts being skipped for one. */
const GUARDED: ReadonlySet<SkipReason> = new Set([
  'address_contested',
  'backend_not_bindable',
  'backend_contested',
]);

/**
 * A full re-read is done at least this often even when the fingerprint is
 * unchanged: it cannot see two changes stamped with the same millisecond.
 */
const FORCE_AFTER_MS = 10 * 60_000;

export class DataplaneController {
  readonly #opts: ControllerOptions;
  readonly #endpoints = new Map<string, ForwardingEndpoint>();
  /** Listener specs (or why none) per endpoint, recomputed only for endpoints that changed. */
  readonly #plans = new Map<string, ListenerSpec[] | SkipReason>();
  /** Addresses two projects' subnets claim; re-read with every full pass. */
  #contested = ContestedAddresses.none;
  #fingerprint: string | undefined;
  #lastFullRead = 0;
  #lastFullReadMs = 0;
  readonly #dns = new Map<string, DnsRecord>();
  #pending = nothingPending();
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryDelay: number | undefined;
  #closed = false;
  #failed: { key: string; error: string }[] = [];
  #reported = new Map<string, string>();
  #passes = 0;
  #errors = 0;

  constructor(opts: ControllerOptions) {
    this.#opts = opts;
  }

  /** Converges once, then follows changes and re-reads every resyncMs. */
  async start(): Promise<void> {
    await this.resync();
    this.#timer = setInterval(() => void this.resync(), this.#opts.resyncMs);
    this.#timer.unref();
  }

  /** A change hint (from the ChangeBus); resolves once a pass has taken it into account. */
  notify(change: VpcepChange): Promise<void> {
    if (change.kind === 'endpoint') this.#pending.endpoints.add(change.id);
    else this.#pending.services.add(change.id);
    return this.#kick();
  }

  /**
   * Full re-read of the store (skipped when its fingerprint is unchanged, unless
   * `force`); resolves once applied.
   */
  resync(force = false): Promise<void> {
    this.#pending.full = true;
    if (force) this.#pending.force = true;
    return this.#kick();
  }

  status(): ControllerStatus {
    const skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
    for (const plan of this.#plans.values()) if (typeof plan === 'string') skipped[plan] += 1;
    return {
      forwardingEndpoints: this.#endpoints.size,
      skipped,
      listeners: this.#opts.forwarding?.listenerCount() ?? 0,
      failed: [...this.#failed],
      dnsRecords: [...this.#dns.values()].reduce((n, r) => n + r.names.length, 0),
      passes: this.#passes,
      lastFullReadMs: this.#lastFullReadMs,
      errors: this.#errors,
    };
  }

  /** Stops following; the caller closes the forwarders and the DNS server. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    await this.#loop;
  }

  #kick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // A running loop drains everything pending before it ends, including what was just added.
    this.#loop ??= this.#drain().finally(() => {
      this.#loop = undefined;
      // A hint that arrived between the drain's last check and here found the
      // old loop, already finishing: start another one for it.
      if (!idle(this.#pending)) void this.#kick();
    });
    return this.#loop;
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const work = this.#pending;
      if (idle(work)) return;
      this.#pending = nothingPending();
      try {
        await this.#pass(work);
      } catch (err) {
        // The store is unreachable or failed: keep what runs. Forgetting the fingerprint makes
        // the next periodic pass re-read everything, which covers this pass's hints and
        // whatever it left half-done, without retrying in a busy loop.
        this.#fingerprint = undefined;
        this.#errors += 1;
        this.#opts.log.warn({ err }, 'data plane could not read the store; keeping the current state');
      }
    }
  }

  async #pass(work: Pending): Promise<void> {
    const { db } = this.#opts;
    const gone: string[] = [];
    let changed: string[] | null = [];
    /** What to record as the store's fingerprint once the pass succeeded (undefined: leave it). */
    let fresh: { fingerprint: string | undefined } | undefined;
    if (work.full || work.force) {
      // Read before the rows, so a change made during the read shows up next time.
      const fingerprint = await forwardingFingerprint(db);
      const started = Date.now();
      const same = fingerprint === this.#fingerprint && started - this.#lastFullRead < FORCE_AFTER_MS;
      if (work.force || !same) {
        const rows = await acceptedInterfaceEndpoints(db);
        const dns = this.#opts.dns ? await endpointDnsRecords(db) : [];
        const claims = await subnetClaims(db);
        // A change that landed during these reads may be half in them, and once undone
        // (a row inserted, then deleted) the fingerprint would be back where it was read
        // while the rows read are not: record it only if it did not move meanwhile.
        const steady = (await forwardingFingerprint(db)) === fingerprint;
        this.#setContested(ContestedAddresses.of(claims, this.#opts.settings.bindable.ranges));
        this.#endpoints.clear();
        for (const ep of rows) this.#endpoints.set(ep.endpointId, ep);
        this.#replaceDns(dns, null);
        const counted = this.#opts.counters ? [...this.#opts.counters.snapshot().keys()] : [];
        gone.push(...counted.filter((id) => !this.#endpoints.has(id)));
        fresh = { fingerprint: steady ? fingerprint : undefined };
        this.#lastFullRead = started;
        this.#lastFullReadMs = Date.now() - started;
        changed = null;
      }
    }
    if (changed !== null && (work.endpoints.size > 0 || work.services.size > 0)) {
      const endpointIds = [...work.endpoints];
      const byEndpoint = await acceptedInterfaceEndpoints(db, { endpointIds });
      const byService = await acceptedInterfaceEndpoints(db, { serviceIds: [...work.services] });
      // Every read before any change to the in-memory state, so a failed read changes nothing.
      const dns = this.#opts.dns ? await endpointDnsRecords(db, { endpointIds }) : [];
      for (const id of endpointIds) this.#endpoints.delete(id);
      changed.push(...endpointIds);
      for (const [id, ep] of this.#endpoints) {
        if (!work.services.has(ep.serviceId)) continue;
        this.#endpoints.delete(id);
        changed.push(id);
      }
      for (const ep of [...byEndpoint, ...byService]) {
        this.#endpoints.set(ep.endpointId, ep);
        changed.push(ep.endpointId);
      }
      this.#replaceDns(dns, endpointIds);
      gone.push(...endpointIds.filter((id) => !this.#endpoints.has(id)));
    }
    this.#plan(changed);
    if (changed === null || changed.length > 0 || work.reapply) await this.#apply();
    await this.#forgetDeleted(gone);
    // Recorded last: a pass that failed before here leaves the next one to re-read.
    if (fresh !== undefined) this.#fingerprint = fresh.fingerprint;
    this.#passes += 1;
  }

  #setContested(next: ContestedAddresses): void {
    if (next.cidrs.join() !== this.#contested.cidrs.join() && next.size > 0) {
      this.#opts.log.warn(
        { contested: next.cidrs },
        'subnets of different projects overlap on the host network; addresses there are neither bound nor dialled',
      );
    }
    this.#contested = next;
  }

  /** Recomputes the listener plans of `ids` (null: of every endpoint). */
  #plan(ids: readonly string[] | null): void {
    const before = ids === null ? new Map(this.#plans) : this.#plans;
    const previous = (id: string) => before.get(id);
    if (ids === null) this.#plans.clear();
    for (const id of ids ?? [...this.#endpoints.keys()]) {
      const ep = this.#endpoints.get(id);
      if (ep === undefined) {
        this.#plans.delete(id);
        continue;
      }
      const was = previous(id);
      const plan = this.#opts.plan
        ? this.#opts.plan(ep)
        : endpointListeners(ep, this.#opts.settings, this.#contested);
      this.#plans.set(id, plan);
      if (typeof plan === 'string' && plan !== was && GUARDED.has(plan)) {
        this.#opts.log.warn(
          { endpointId: id, reason: plan, ip: ep.ip, backendIp: ep.backendIp },
          'endpoint not bound: its address or backend could belong to another tenant or the host',
        );
      }
    }
  }

  async #apply(): Promise<void> {
    const forwarding = this.#opts.forwarding;
    if (!forwarding) return;
    const specs: ListenerSpec[] = [];
    for (const plan of this.#plans.values()) if (typeof plan !== 'string') specs.push(...plan);
    const result = await forwarding.apply(specs);
    this.#failed = result.failed.map(({ key, error }) => ({ key, error }));
    const now = new Map(this.#failed.map((f) => [f.key, f.error]));
    // Log a failing listener when it starts failing or fails differently, not on every retry.
    for (const [key, error] of now) {
      if (this.#reported.get(key) !== error)
        this.#opts.log.warn({ key, error }, 'endpoint listener not started');
    }
    this.#reported = now;
    if (result.started.length > 0 || result.stopped.length > 0) {
      this.#opts.log.info(
        {
          started: result.started.length,
          stopped: result.stopped.length,
          running: forwarding.listenerCount(),
        },
        'data plane listeners reconciled',
      );
    }
    if (this.#failed.length > 0) this.#scheduleRetry();
    else this.#retryDelay = undefined;
  }

  #scheduleRetry(): void {
    if (this.#retry !== undefined || this.#closed) return;
    // Doubling up to resyncMs: a port freed soon is taken quickly, a lasting conflict
    // (two VPCs whose endpoints share an address on this host) costs little.
    const first = Math.min(this.#opts.retryMs ?? 1000, this.#opts.resyncMs);
    const delay =
      this.#retryDelay === undefined ? first : Math.min(this.#retryDelay * 2, this.#opts.resyncMs);
    this.#retryDelay = delay;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#pending.reapply = true;
      void this.#kick();
    }, delay);
    this.#retry.unref();
  }

  /**
   * Applies DNS records by difference, so an unchanged name is not rewritten.
   * `scope` null replaces everything; otherwise only the listed endpoints.
   */
  #replaceDns(records: readonly DnsRecord[], scope: readonly string[] | null): void {
    const table = this.#opts.dns;
    if (!table) return;
    const next = new Map(records.map((r) => [r.endpointId, r]));
    const ids = scope ?? [...new Set([...this.#dns.keys(), ...next.keys()])];
    for (const id of ids) {
      const before = this.#dns.get(id);
      const after = next.get(id);
      if (before && (!after || before.ip !== after.ip || before.names.join() !== after.names.join())) {
        for (const name of before.names) table.delete(name);
        this.#dns.delete(id);
      }
      if (after && !this.#dns.has(id)) {
        for (const name of after.names) {
          try {
            table.set(name, [after.ip]);
          } catch (err) {
            // A name outside the zone (e.g. the zone was reconfigured after the endpoint was made).
            this.#opts.log.warn({ endpointId: id, name, err }, 'DNS name not served');
          }
        }
        this.#dns.set(id, after);
      }
    }
  }

  async #forgetDeleted(candidates: readonly string[]): Promise<void> {
    const counters = this.#opts.counters;
    if (!counters || candidates.length === 0) return;
    const still = await existingEndpointIds(this.#opts.db, candidates);
    for (const id of candidates) if (!still.has(id)) counters.forget(id);
  }
}
