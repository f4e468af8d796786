/**
 * Per-endpoint traffic counters. The caller owns the instance (so counts
 * survive a ForwarderSet being rebuilt) and decides when an endpoint's
 * series should disappear (forget()).
 */
import { escapeLabelValue, metricFamily, type Sample } from '../../metrics/prom-text.ts';

export interface EndpointTraffic {
  /** Open TCP connections (accepted and not yet closed). */
  activeConnections: number;
  /** TCP connections accepted (passed whitelist and limit) since start. */
  totalConnections: number;
  /** Open UDP sessions. */
  activeSessions: number;
  /** UDP sessions created since start. */
  totalSessions: number;
  bytesClientToBackend: number;
  bytesBackendToClient: number;
  /** TCP connections / UDP datagrams refused because of the whitelist. */
  refusedWhitelist: number;
  /** TCP connections / UDP datagrams refused because the endpoint was at maxConnections. */
  refusedLimit: number;
  /** Backend connections that failed (refused, unreachable, connect timeout). */
  backendErrors: number;
}

/** The fields of EndpointTraffic in a fixed order: how counts travel between processes. */
export const TRAFFIC_FIELDS = [
  'activeConnections',
  'totalConnections',
  'activeSessions',
  'totalSessions',
  'bytesClientToBackend',
  'bytesBackendToClient',
  'refusedWhitelist',
  'refusedLimit',
  'backendErrors',
] as const satisfies readonly (keyof EndpointTraffic)[];

/** Changes of one endpoint's counts, in TRAFFIC_FIELDS order. */
export type TrafficDelta = [endpointId: string, values: number[]];

function zero(): EndpointTraffic {
  return {
    activeConnections: 0,
    totalConnections: 0,
    activeSessions: 0,
    totalSessions: 0,
    bytesClientToBackend: 0,
    bytesBackendToClient: 0,
    refusedWhitelist: 0,
    refusedLimit: 0,
    backendErrors: 0,
  };
}

type Metric = {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  series: [labels: string, pick: (t: EndpointTraffic) => number][];
};

const METRICS: Metric[] = [
  {
    name: 'connections_active',
    type: 'gauge',
    help: 'Open TCP connections through the endpoint.',
    series: [['', (t) => t.activeConnections]],
  },
  {
    name: 'connections_total',
    type: 'counter',
    help: 'TCP connections accepted by the endpoint.',
    series: [['', (t) => t.totalConnections]],
  },
  {
    name: 'udp_sessions_active',
    type: 'gauge',
    help: 'Open UDP sessions through the endpoint.',
    series: [['', (t) => t.activeSessions]],
  },
  {
    name: 'udp_sessions_total',
    type: 'counter',
    help: 'UDP sessions created by the endpoint.',
    series: [['', (t) => t.totalSessions]],
  },
  {
    name: 'bytes_total',
    type: 'counter',
    help: 'Payload bytes forwarded, by direction.',
    series: [
      ['direction="client_to_backend"', (t) => t.bytesClientToBackend],
      ['direction="backend_to_client"', (t) => t.bytesBackendToClient],
    ],
  },
  {
    name: 'refused_total',
    type: 'counter',
    help: 'Connections (TCP) or datagrams (UDP) refused, by reason.',
    series: [
      ['reason="whitelist"', (t) => t.refusedWhitelist],
      ['reason="limit"', (t) => t.refusedLimit],
    ],
  },
  {
    name: 'backend_errors_total',
    type: 'counter',
    help: 'Backend connections that could not be established.',
    series: [['', (t) => t.backendErrors]],
  },
];

export class EndpointCounters {
  readonly #byEndpoint = new Map<string, EndpointTraffic>();

  /**
   * The live, mutable record of an endpoint, created on first use. Meant for
   * the forwarders, which keep it per flow to avoid a lookup per chunk.
   */
  record(endpointId: string): EndpointTraffic {
    let t = this.#byEndpoint.get(endpointId);
    if (t === undefined) {
      t = zero();
      this.#byEndpoint.set(endpointId, t);
    }
    return t;
  }

  /** A copy of one endpoint's counts, or undefined if it has none. */
  get(endpointId: string): EndpointTraffic | undefined {
    const t = this.#byEndpoint.get(endpointId);
    return t === undefined ? undefined : { ...t };
  }

  /** Copies of every endpoint's counts. */
  snapshot(): Map<string, EndpointTraffic> {
    return new Map([...this.#byEndpoint].map(([id, t]) => [id, { ...t }]));
  }

  /**
   * Drops an endpoint's series (e.g. once it is deleted). Flows still open
   * keep counting into the detached record, which is then simply lost.
   */
  forget(endpointId: string): void {
    this.#byEndpoint.delete(endpointId);
  }

  /**
   * Adds changes counted elsewhere (a data-plane worker). A change that only
   * lowers gauges does not bring back an endpoint forget() dropped: it is the
   * close of a flow that was counted before.
   */
  add([endpointId, values]: TrafficDelta): void {
    let t = this.#byEndpoint.get(endpointId);
    if (t === undefined) {
      if (!values.some((v) => v > 0)) return;
      t = this.record(endpointId);
    }
    const record = t;
    TRAFFIC_FIELDS.forEach((field, i) => {
      record[field] += values[i] ?? 0;
    });
  }

  /** Open flows are gone with the processes that held them: every gauge back to zero. */
  clearActive(): void {
    for (const t of this.#byEndpoint.values()) {
      t.activeConnections = 0;
      t.activeSessions = 0;
    }
  }

  /** Prometheus text exposition (version 0.0.4), one series per endpoint. */
  renderPrometheus(prefix = 'vpcep_endpoint'): string {
    const endpoints = [...this.#byEndpoint].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const lines = METRICS.flatMap((metric) =>
      metricFamily(
        `${prefix}_${metric.name}`,
        metric.type,
        metric.help,
        endpoints.flatMap(([id, t]) =>
          metric.series.map(([extra, pick]): Sample => {
            const labels = `endpoint_id="${escapeLabelValue(id)}"${extra === '' ? '' : `,${extra}`}`;
            return [labels, pick(t)];
          }),
        ),
      ),
    );
    return `${lines.join('\n')}\n`;
  }
}
