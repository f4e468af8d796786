/**
 * The forwarders' public vocabulary: what the controller asks for (a
 * ListenerSpec per endpoint IP, protocol and client port), what apply()
 * answers, and the checks a spec must pass before any socket is touched.
 */
import { isIP } from 'node:net';
import { parseWhitelist } from './acl.ts';

export type ForwarderProtocol = 'TCP' | 'UDP';

export interface ProxyProtocolSpec {
  /** Sent as TLV 0xE0, uint32 big-endian. */
  markerId: number;
  /** Sent as TLV 0xE1 when present. */
  vni?: number;
}

export interface ListenerSpec {
  /** Stable identity, e.g. `${endpointId}:${protocol}:${clientPort}`. */
  key: string;
  endpointId: string;
  protocol: ForwarderProtocol;
  /** The endpoint IP (an IP literal), e.g. 127.30.0.5. */
  listenHost: string;
  /** client_port; 0 picks an ephemeral port (see ForwarderSet.address). */
  listenPort: number;
  /** Backend port IP (an IP literal). */
  targetHost: string;
  /** server_port. */
  targetPort: number;
  /**
   * Source address of the connections and datagrams to the backend (an IP
   * literal local to the data plane); absent: the kernel picks one.
   */
  sourceHost?: string;
  /** TCP only: prepend a PROXY v2 header. Must be null for UDP. */
  proxyProtocol: ProxyProtocolSpec | null;
  /** null = anyone; otherwise source addresses / CIDRs allowed ([] allows nobody). */
  whitelist: string[] | null;
  /**
   * Cap on concurrent flows (TCP connections plus UDP sessions) of the whole
   * endpoint, shared by all its listeners. Each listener enforces the value
   * of its own spec, so give every listener of an endpoint the same number.
   */
  maxConnections: number;
  /** TCP idle timeout, and the silence after which a UDP session expires. */
  idleTimeoutMs: number;
}

export interface ApplyResult {
  /** Keys now listening that were not before, including restarted ones. */
  started: string[];
  /** Keys whose previous listener was closed, including restarted ones. */
  stopped: string[];
  /** Keys updated without a restart (whitelist / maxConnections only). */
  updated: string[];
  /** Keys that are not listening after this call, with the reason. */
  failed: { key: string; error: string; code?: string }[];
}

/** The pino-shaped subset the forwarders log through. */
export interface ForwarderLog {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** One open flow, for debugging and benchmarks (see ForwarderSet.flows). */
export interface FlowInfo {
  key: string;
  endpointId: string;
  protocol: ForwarderProtocol;
  clientAddress: string;
  clientPort: number;
  /** Bytes queued in user space towards the client / the backend (TCP only; 0 for UDP). */
  clientBuffered: number;
  backendBuffered: number;
}

function isPort(n: unknown, allowZero: boolean): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= (allowZero ? 0 : 1) && n <= 65535;
}

function isUint32(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** Null when the spec is usable, otherwise why not. Never throws. */
export function specProblem(spec: ListenerSpec): string | null {
  if (typeof spec !== 'object' || spec === null) return 'spec must be an object';
  if (typeof spec.key !== 'string' || spec.key === '') return 'key must be a non-empty string';
  if (typeof spec.endpointId !== 'string' || spec.endpointId === '') return 'endpointId must be non-empty';
  if (spec.protocol !== 'TCP' && spec.protocol !== 'UDP') return `unknown protocol ${String(spec.protocol)}`;
  if (isIP(spec.listenHost) === 0) return `listenHost must be an IP literal, got ${String(spec.listenHost)}`;
  if (isIP(spec.targetHost) === 0) return `targetHost must be an IP literal, got ${String(spec.targetHost)}`;
  if (spec.sourceHost !== undefined && isIP(spec.sourceHost) !== isIP(spec.targetHost)) {
    return `sourceHost must be an IP literal of the target's family, got ${String(spec.sourceHost)}`;
  }
  if (!isPort(spec.listenPort, true)) return `invalid listenPort ${String(spec.listenPort)}`;
  if (!isPort(spec.targetPort, false)) return `invalid targetPort ${String(spec.targetPort)}`;
  if (!Number.isInteger(spec.maxConnections) || spec.maxConnections < 0) {
    return `maxConnections must be a non-negative integer, got ${String(spec.maxConnections)}`;
  }
  if (!(
    Number.isInteger(spec.idleTimeoutMs) &&
    spec.idleTimeoutMs > 0 &&
    spec.idleTimeoutMs <= 2 ** 31 - 1
  )) {
    return `idleTimeoutMs must be a positive integer, got ${String(spec.idleTimeoutMs)}`;
  }
  if (spec.proxyProtocol !== null) {
    if (spec.protocol !== 'TCP') return 'proxyProtocol is only supported for TCP';
    if (!isUint32(spec.proxyProtocol.markerId)) return 'proxyProtocol.markerId must be a uint32';
    if (spec.proxyProtocol.vni !== undefined && !isUint32(spec.proxyProtocol.vni)) {
      return 'proxyProtocol.vni must be a uint32';
    }
  }
  if (spec.whitelist !== null) {
    if (!Array.isArray(spec.whitelist)) return 'whitelist must be null or an array';
    const parsed = parseWhitelist(spec.whitelist);
    if ('error' in parsed) return parsed.error;
  }
  return null;
}

function normalizedWhitelist(list: string[] | null): string {
  return list === null ? 'null' : JSON.stringify([...list].sort());
}

/**
 * 'same' when nothing differs, 'update' when only fields a running listener
 * can take over differ (whitelist, maxConnections), otherwise 'restart'.
 * Whitelist order does not matter.
 */
export function compareSpecs(running: ListenerSpec, wanted: ListenerSpec): 'same' | 'update' | 'restart' {
  const fixed = (s: ListenerSpec): string =>
    JSON.stringify([
      s.endpointId,
      s.protocol,
      s.listenHost,
      s.listenPort,
      s.targetHost,
      s.targetPort,
      s.sourceHost ?? null,
      s.proxyProtocol === null ? null : [s.proxyProtocol.markerId, s.proxyProtocol.vni ?? null],
      s.idleTimeoutMs,
    ]);
  if (fixed(running) !== fixed(wanted)) return 'restart';
  const sameWhitelist = normalizedWhitelist(running.whitelist) === normalizedWhitelist(wanted.whitelist);
  return sameWhitelist && running.maxConnections === wanted.maxConnections ? 'same' : 'update';
}

/** Copies the spec so later mutation by the caller cannot change a running listener. */
export function cloneSpec(spec: ListenerSpec): ListenerSpec {
  return {
    ...spec,
    proxyProtocol: spec.proxyProtocol === null ? null : { ...spec.proxyProtocol },
    whitelist: spec.whitelist === null ? null : [...spec.whitelist],
  };
}
