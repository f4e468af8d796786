import type { EndpointTraffic } from '../../client/types.ts';
import { useConsole } from '../context.ts';
import { DetailPage, Pending } from '../detail-view.tsx';
import { unsettled, useAsync, usePoll, useRemoval, type Async } from '../hooks.ts';
import { href } from '../router.ts';
import { bytes, Facts, Problem, when } from '../ui.tsx';
import { TagsEditor } from './service-detail.tsx';

function Traffic({ data }: { data: Async<EndpointTraffic> }) {
  const t = data.data?.traffic;
  let body;
  if (data.data === undefined) {
    body = <Pending data={data} />;
  } else if (t === null || t === undefined) {
    body = (
      <p class="muted">
        The server that answered does not forward traffic (no data-plane role), so it has no counters for this
        endpoint.
      </p>
    );
  } else {
    const cells: [string, string][] = [
      ['Active connections', String(t.active_connections)],
      ['Total connections', String(t.total_connections)],
      ['Client → backend', bytes(t.bytes_client_to_backend)],
      ['Backend → client', bytes(t.bytes_backend_to_client)],
      ['UDP sessions (active / total)', `${t.active_udp_sessions} / ${t.total_udp_sessions}`],
      ['Refused: whitelist', String(t.refused.whitelist)],
      ['Refused: connection limit', String(t.refused.limit)],
      ['Backend errors', String(t.backend_errors)],
    ];
    body = (
      <dl class="counters" aria-live="off">
        {cells.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd data-counter={k}>{v}</dd>
          </div>
        ))}
      </dl>
    );
  }
  return (
    <section aria-labelledby="traffic-title" class="panel">
      <h2 id="traffic-title">Live traffic</h2>
      <p class="muted small">
        Counted by this server's data plane since it began forwarding; refreshed every second.
      </p>
      {body}
    </section>
  );
}

export function EndpointDetailPage(props: { id: string }) {
  const { client } = useConsole();
  const endpoint = useAsync(() => client.endpoints.get(props.id), [client, props.id]);
  const traffic = useAsync(() => client.endpoints.traffic(props.id), [client, props.id]);
  const removal = useRemoval(() => client.endpoints.delete(props.id));
  const e = endpoint.data;
  const settling = e !== undefined && unsettled(e.status);
  // The provider decides elsewhere: a pending endpoint is re-read until it is accepted or rejected.
  usePoll(endpoint.reload, settling && !removal.removing);
  usePoll(traffic.reload, e !== undefined && e.status !== 'deleting' && !removal.removing);

  if (!e) return <Pending data={endpoint} />;
  return (
    <DetailPage
      back={{ label: 'Endpoints', href: href('endpoints') }}
      titleId="endpoint-title"
      title={`Endpoint ${e.id}`}
      status={e.status}
      data={endpoint}
      remove={{
        title: 'Delete endpoint',
        action: 'Delete endpoint',
        run: removal.run,
        question: <p>Delete endpoint {e.id}? Its connections are reset and its address is released.</p>,
      }}
    >
      <Facts
        items={[
          ['Service', e.endpoint_service_name],
          ['Service ID', <span class="id">{e.endpoint_service_id}</span>],
          ['IP address', <span data-field="ip">{e.ip ?? ''}</span>],
          ['DNS names', e.dns_names.length ? <span data-field="dns">{e.dns_names.join(', ')}</span> : ''],
          ['Marker ID', String(e.marker_id)],
          ['VPC', <span class="id">{e.vpc_id}</span>],
          ['Subnet', <span class="id">{e.subnet_id}</span>],
          ['Whitelist', e.enable_whitelist ? e.whitelist.join(', ') || 'on, empty' : 'off'],
          ['Description', e.description],
          ['Created', when(e.created_at)],
        ]}
      />
      {e.status === 'pendingAcceptance' && (
        <p class="notice" role="status">
          Waiting for the service's provider to accept this endpoint.
        </p>
      )}
      {e.error.length > 0 && (
        <Problem error={new Error(e.error.map((x) => `${x.error_code}: ${x.error_message}`).join('; '))} />
      )}
      <Traffic data={traffic} />
      <section aria-labelledby="endpoint-tags" class="panel">
        <h2 id="endpoint-tags">Tags</h2>
        <TagsEditor type="endpoint" id={e.id} tags={e.tags} onChanged={endpoint.reload} />
      </section>
    </DetailPage>
  );
}
