import { useConsole } from '../context.ts';
import { unsettled } from '../hooks.ts';
import { ListPage, ListTable, usePagedList, usePollWhileTransient } from '../list-view.tsx';
import { href } from '../router.ts';
import { Status, when } from '../ui.tsx';

/** The consumer's endpoints; refreshed while one is creating, deleting or waiting for acceptance. */
export function EndpointsPage() {
  const { client } = useConsole();
  const { rows, pager } = usePagedList((window) => client.endpoints.list(window), [client]);
  // The provider accepts or rejects from its own console: a pending row is re-read until it does.
  usePollWhileTransient(rows, unsettled);
  return (
    <ListPage
      titleId="endpoints-title"
      title="Endpoints"
      create={{ label: 'Create endpoint', href: href('endpoints', 'new') }}
    >
      <ListTable
        caption="Endpoints of the project"
        columns={['Endpoint', 'Service', 'Status', 'IP', 'DNS name', 'Created']}
        data={rows}
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
        pager={pager}
      />
    </ListPage>
  );
}
