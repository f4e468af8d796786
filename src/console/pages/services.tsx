import { useEffect, useState } from 'preact/hooks';
import { useConsole } from '../context.ts';
import { ListPage, ListTable, SearchForm, usePagedList, usePollWhileTransient } from '../list-view.tsx';
import { href } from '../router.ts';
import { Status, when } from '../ui.tsx';

/** The provider's endpoint services: search by name, status badges, paging. */
export function ServicesPage() {
  const { client } = useConsole();
  const [query, setQuery] = useState('');
  const { rows, pager, onOffset } = usePagedList(
    (window) => client.services.list({ endpoint_service_name: query || undefined, ...window }),
    [client, query],
  );
  usePollWhileTransient(rows);
  useEffect(() => {
    if (rows.data) performance.mark('vpcep:services-rendered');
  }, [rows.data]);

  return (
    <ListPage
      titleId="services-title"
      title="Endpoint services"
      create={{ label: 'Create service', href: href('services', 'new') }}
    >
      <SearchForm
        id="service-search"
        label="Search by name"
        onSearch={(q) => {
          onOffset(0);
          setQuery(q);
        }}
      />
      <ListTable
        caption="Endpoint services of the project"
        columns={['Name', 'Status', 'Ports', 'Approval', 'Connections', 'Created']}
        data={rows}
        empty={
          query
            ? `No service's name contains “${query}”.`
            : 'No endpoint services yet. Create one to publish a backend port.'
        }
        row={(s) => (
          <tr key={s.id}>
            <td>
              <a href={href('services', s.id)}>{s.service_name}</a>
              <div class="id">{s.id}</div>
            </td>
            <td>
              <Status status={s.status} />
            </td>
            <td>{s.ports.map((p) => `${p.client_port}→${p.server_port}/${p.protocol}`).join(', ')}</td>
            <td>{s.approval_enabled ? 'Required' : 'Automatic'}</td>
            <td>{s.connection_count}</td>
            <td>{when(s.created_at)}</td>
          </tr>
        )}
        pager={pager}
      />
    </ListPage>
  );
}
