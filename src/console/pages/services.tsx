import { useEffect, useState } from 'preact/hooks';
import { useConsole } from '../context.ts';
import { mapAsync, transient, useAsync, usePoll } from '../hooks.ts';
import { href } from '../router.ts';
import { Pager, Rows, Status, when } from '../ui.tsx';

const PAGE = 10;

/** The provider's endpoint services: search by name, status badges, paging. */
export function ServicesPage() {
  const { client } = useConsole();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const page = useAsync(
    () => client.services.list({ endpoint_service_name: query || undefined, limit: PAGE, offset }),
    [client, query, offset],
  );
  const rows = mapAsync(page, (p) => p.items);
  usePoll(
    page.reload,
    (page.data?.items ?? []).some((s) => transient(s.status)),
  );
  useEffect(() => {
    if (page.data) performance.mark('vpcep:services-rendered');
  }, [page.data]);

  return (
    <section aria-labelledby="services-title">
      <div class="heading">
        <h1 id="services-title">Endpoint services</h1>
        <a class="button primary" href={href('services', 'new')}>
          Create service
        </a>
      </div>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setQuery(search.trim());
        }}
      >
        <label for="service-search">Search by name</label>
        <input
          id="service-search"
          type="search"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <table>
        <caption class="sr-only">Endpoint services of the project</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Ports</th>
            <th scope="col">Approval</th>
            <th scope="col">Connections</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <Rows
          data={rows}
          columns={6}
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
        />
      </table>
      <Pager offset={offset} limit={PAGE} total={page.data?.total ?? 0} onOffset={setOffset} />
    </section>
  );
}
