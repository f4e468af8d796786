import { useConsole } from '../context.ts';
import { useAsync } from '../hooks.ts';
import { href } from '../router.ts';
import { Rows, when } from '../ui.tsx';

/** The operator's services every account may connect to. */
export function PublicServicesPage() {
  const { client } = useConsole();
  const list = useAsync(() => client.publicServices.listAll(), [client]);
  return (
    <section aria-labelledby="public-title">
      <div class="heading">
        <h1 id="public-title">Public services</h1>
      </div>
      <table>
        <caption class="sr-only">Public endpoint services</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Owner</th>
            <th scope="col">Type</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <Rows
          data={list}
          columns={5}
          empty="This server offers no public services."
          row={(p) => (
            <tr key={p.id}>
              <td>
                {p.service_name}
                <div class="id">{p.id}</div>
              </td>
              <td>{p.owner}</td>
              <td>{p.service_type}</td>
              <td>{when(p.created_at)}</td>
              <td>
                <a class="button" href={`${href('endpoints', 'new')}?service=${encodeURIComponent(p.id)}`}>
                  Connect
                </a>
              </td>
            </tr>
          )}
        />
      </table>
    </section>
  );
}
