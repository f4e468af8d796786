/**
 * The data plane's series in Prometheus text: per-endpoint traffic (from the
 * forwarders' counters) and the controller's and DNS server's own state.
 */
import { metricFamily as family } from '../metrics/prom-text.ts';
import type { Dataplane } from './runtime.ts';

export function renderDataplaneMetrics(dp: Dataplane): string {
  const s = dp.controller.status();
  const lines = [
    ...family('vpcep_dataplane_forwarding_endpoints', 'gauge', 'Endpoints that should carry traffic now.', [
      ['', s.forwardingEndpoints],
    ]),
    ...family(
      'vpcep_dataplane_unbound_endpoints',
      'gauge',
      'Endpoints that should carry traffic but have no listener here, by reason.',
      Object.entries(s.skipped).map(([reason, n]) => [`reason="${reason}"`, n]),
    ),
    ...family('vpcep_dataplane_listeners', 'gauge', 'Listening sockets (endpoint IP, protocol, port).', [
      ['', s.listeners],
    ]),
    ...family(
      'vpcep_dataplane_listener_failures',
      'gauge',
      'Listeners that failed to start in the last pass.',
      [['', s.failed.length]],
    ),
    ...family('vpcep_dataplane_sync_passes_total', 'counter', 'Reconciliation passes run.', [['', s.passes]]),
    ...family(
      'vpcep_dataplane_full_read_seconds',
      'gauge',
      'Duration of the last full re-read of the store.',
      [['', s.lastFullReadMs / 1000]],
    ),
    ...family('vpcep_dataplane_sync_errors_total', 'counter', 'Passes that could not read the store.', [
      ['', s.errors],
    ]),
  ];
  if (dp.dns) {
    const c = dp.dns.server.counters;
    lines.push(
      ...family('vpcep_dns_records', 'gauge', 'Names the DNS server answers.', [['', s.dnsRecords]]),
      ...family('vpcep_dns_queries_total', 'counter', 'DNS queries received.', [['', c.queries]]),
      ...family('vpcep_dns_responses_total', 'counter', 'DNS queries by outcome.', [
        ['result="answered"', c.answered],
        ['result="nxdomain"', c.nxdomain],
        ['result="refused"', c.refused],
        ['result="error"', c.errors],
      ]),
    );
  }
  const processes = dp.forwarding?.processes();
  if (processes) {
    lines.push(
      ...family('vpcep_dataplane_workers', 'gauge', 'Forwarding worker processes running.', [
        ['', processes.workers.filter((w) => w.ready).length],
      ]),
      ...family(
        'vpcep_dataplane_process_restarts_total',
        'counter',
        'Data-plane processes restarted after they exited, by kind.',
        [
          ['process="supervisor"', processes.supervisorRestarts],
          ['process="worker"', processes.workers.reduce((n, w) => n + w.restarts, 0)],
        ],
      ),
      ...family(
        'vpcep_dataplane_worker_flows_total',
        'counter',
        'TCP connections and UDP sessions each forwarding worker accepted.',
        [...processes.flows].sort(([a], [b]) => a - b).map(([worker, n]) => [`worker="${worker}"`, n]),
      ),
    );
  }
  const text = `${lines.join('\n')}\n`;
  return dp.counters ? text + dp.counters.renderPrometheus('vpcep_endpoint') : text;
}
