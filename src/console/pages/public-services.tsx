import { useConsole } from '../context.ts';
import { useAsync } from '../hooks.ts';
import { ListPage, ListTable } from '../list-view.tsx';
import { href } from '../router.ts';
import { when } from '../ui.tsx';

/** The operator's services every account may connect to. */
export function PublicServicesPage() {
  const { client } = useConsole();
  const list = useAsync(() => client.publicServices.listAll(), [client]);
  return (
    <ListPage titleId="public-title" title="Public services">
      <ListTable
        caption="Public endpoint services"
        columns={['Name', 'Owner', 'Type', 'Created']}
        actions
        data={list}
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
    </ListPage>
  );
}
