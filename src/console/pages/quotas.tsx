import { useConsole } from '../context.ts';
import { useAsync } from '../hooks.ts';
import { Rows } from '../ui.tsx';

const NAMES: Record<string, string> = { endpoint_service: 'Endpoint services', endpoint: 'Endpoints' };

export function QuotasPage() {
  const { client } = useConsole();
  const quotas = useAsync(() => client.quotas.list(), [client]);
  return (
    <section aria-labelledby="quotas-title">
      <div class="heading">
        <h1 id="quotas-title">Quotas</h1>
      </div>
      <table>
        <caption class="sr-only">Quotas of the project</caption>
        <thead>
          <tr>
            <th scope="col">Resource</th>
            <th scope="col">Used</th>
            <th scope="col">Quota</th>
            <th scope="col">Usage</th>
          </tr>
        </thead>
        <Rows
          data={quotas}
          columns={4}
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
      </table>
    </section>
  );
}
