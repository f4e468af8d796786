import { useConsole } from '../context.ts';
import { useAsync } from '../hooks.ts';
import { ListPage, ListTable } from '../list-view.tsx';

const NAMES: Record<string, string> = { endpoint_service: 'Endpoint services', endpoint: 'Endpoints' };

export function QuotasPage() {
  const { client } = useConsole();
  const quotas = useAsync(() => client.quotas.list(), [client]);
  return (
    <ListPage titleId="quotas-title" title="Quotas">
      <ListTable
        caption="Quotas of the project"
        columns={['Resource', 'Used', 'Quota', 'Usage']}
        data={quotas}
        empty="No quotas apply."
        row={(q) => (
          <tr key={q.type}>
            <td>{NAMES[q.type] ?? q.type}</td>
            <td>{q.used}</td>
            <td>{q.quota}</td>
            <td>
              <meter
                min={0}
                max={q.quota}
                value={q.used}
                high={q.quota * 0.8}
                aria-label={`${NAMES[q.type] ?? q.type} used`}
              >
                {q.used}/{q.quota}
              </meter>
            </td>
          </tr>
        )}
      />
    </ListPage>
  );
}
