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
  type DnsRecord,
  type ForwardingEndpoint,
} from '../vpcep/endpoints/dataplane.ts';
import { desiredState, type ForwardingSettings, type SkipReason } from './desired.ts';
import type { DnsZoneTable } from './dns/records.ts';
import type { EndpointCounters } from './forwarder/counters.ts';
import type { ForwarderSet } from './forwarder/forwarder-set.ts';

export interface ControllerLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export interface ControllerOptions {
  db: Kysely<Database>;
  /** Present when this process forwards traffic (role `dataplane`). */
  forwarders?: ForwarderSet;
  counters?: EndpointCounters;
  /** Present when this process answers DNS (role `dns`). */
  dns?: DnsZoneTable;
  settings: ForwardingSettings;
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
  /** Passes that could not read the store. */
  errors: number;
}

interface Pending {
  full: boolean;
  endpoints: Set<string>;
  services: Set<string>;
}

function nothingPending(): Pending {
  return { full: false, endpoints: new Set(), services: new Set() };
}

export class DataplaneController {
  readonly #opts: ControllerOptions;
  readonly #endpoints = new Map<string, ForwardingEndpoint>();
  readonly #dns = new Map<string, DnsRecord>();
  #pending = nothingPending();
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #skipped = new Map<string, SkipReason>();
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

  /** Full re-read of the store; resolves once applied. */
  resync(): Promise<void> {
    this.#pending.full = true;
    return this.#kick();
  }

  status(): ControllerStatus {
    const skipped: Record<SkipReason, number> = { not_bindable: 0, no_backend: 0, no_ports: 0 };
    for (const reason of this.#skipped.values()) skipped[reason] += 1;
    return {
      forwardingEndpoints: this.#endpoints.size,
      skipped,
      listeners: this.#opts.forwarders?.listeners().length ?? 0,
      failed: [...this.#failed],
      dnsRecords: this.#dns.size,
      passes: this.#passes,
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
    });
    return this.#loop;
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const work = this.#pending;
      if (!work.full && work.endpoints.size === 0 && work.services.size === 0) return;
      this.#pending = nothingPending();
      try {
        await this.#pass(work);
      } catch (err) {
        // The store is unreachable or failed: keep what runs, and let the next full pass retry.
        this.#errors += 1;
        this.#opts.log.warn({ err }, 'data plane could not read the store; keeping the current state');
      }
    }
  }

  async #pass(work: Pending): Promise<void> {
    const { db } = this.#opts;
    const gone: string[] = [];
    if (work.full) {
      const rows = await acceptedInterfaceEndpoints(db);
      const dns = this.#opts.dns ? await endpointDnsRecords(db) : [];
      this.#endpoints.clear();
      for (const ep of rows) this.#endpoints.set(ep.endpointId, ep);
      this.#replaceDns(dns, null);
      const counted = this.#opts.counters ? [...this.#opts.counters.snapshot().keys()] : [];
      gone.push(...counted.filter((id) => !this.#endpoints.has(id)));
    } else {
      const endpointIds = [...work.endpoints];
      const serviceIds = [...work.services];
      const byEndpoint = await acceptedInterfaceEndpoints(db, { endpointIds });
      const byService = await acceptedInterfaceEndpoints(db, { serviceIds });
      for (const id of endpointIds) this.#endpoints.delete(id);
      for (const [id, ep] of this.#endpoints) if (work.services.has(ep.serviceId)) this.#endpoints.delete(id);
      for (const ep of [...byEndpoint, ...byService]) this.#endpoints.set(ep.endpointId, ep);
      if (this.#opts.dns) this.#replaceDns(await endpointDnsRecords(db, { endpointIds }), endpointIds);
      gone.push(...endpointIds.filter((id) => !this.#endpoints.has(id)));
    }
    await this.#apply();
    await this.#forgetDeleted(gone);
    this.#passes += 1;
  }

  async #apply(): Promise<void> {
    const { specs, skipped } = desiredState(this.#endpoints.values(), this.#opts.settings);
    this.#skipped = skipped;
    const forwarders = this.#opts.forwarders;
    if (!forwarders) return;
    const result = await forwarders.apply(specs);
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
          running: forwarders.listeners().length,
        },
        'data plane listeners reconciled',
      );
    }
    if (this.#failed.length > 0) this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retry !== undefined || this.#closed) return;
    const delay = Math.min(this.#opts.retryMs ?? 1000, this.#opts.resyncMs);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.resync();
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
