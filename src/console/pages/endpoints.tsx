import { useState } from 'preact/hooks';
import { useConsole } from '../context.ts';
import { mapAsync, transient, useAsync, usePoll } from '../hooks.ts';
import { href } from '../router.ts';
import { Pager, Rows, Status, when } from '../ui.tsx';

const PAGE = 10;

/** The consumer's endpoints; refreshed while one is creating or deleting. */
export function EndpointsPage() {
  const { client } = useConsole();
  const [offset, setOffset] = useState(0);
  const page = useAsync(() => client.endpoints.list({ limit: PAGE, offset }), [client, offset]);
  usePoll(
    page.reload,
    (page.data?.items ?? []).some((e) => transient(e.status)),
  );
  return (
    <section aria-labelledby="endpoints-title">
      <div class="heading">
        <h1 id="endpoints-title">Endpoints</h1>
        <a class="button primary" href={href('endpoints', 'new')}>
          Create endpoint
        </a>
      </div>
      <table>
        <caption class="sr-only">Endpoints of the project</caption>
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Service</th>
            <th scope="col">Status</th>
            <th scope="col">IP</th>
            <th scope="col">DNS name</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <Rows
          data={mapAsync(page, (p) => p.items)}
          columns={6}
          empty="No endpoints yet. Create one to reach a service from your VPC."
          row={(e) => (
            <tr key={e.id}>
              <td>
                <a href={href('endpoints', e.id)} class="id">
                  {e.id}
                </a>
              </td>
              <td>{e.endpoint_service_name}</td>
              <td>
                <Status status={e.status} />
              </td>
              <td>{e.ip}</td>
              <td class="id">{e.dns_names[0]}</td>
              <td>{when(e.created_at)}</td>
            </tr>
          )}
        />
      </table>
      <Pager offset={offset} limit={PAGE} total={page.data?.total ?? 0} onOffset={setOffset} />
    </section>
  );
}
