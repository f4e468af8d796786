import { metricFamily } from './prom-text.ts';

/** The store's statement count (store/statement-count.ts), rendered at each scrape. */
export function renderStoreMetrics(statementsRun: number): string {
  return metricFamily(
    'vpcep_store_statements_total',
    'counter',
    "Statements run on the store's connections (SQLite: both; PostgreSQL: the API and job pools), begin and commit included.",
    [['', statementsRun]],
  ).join('\n');
}
