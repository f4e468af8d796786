import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { endpointView } from '../shared/present.ts';
import { keptViews } from '../shared/kept-views.ts';
import { tagsOf } from '../shared/tag-rows.ts';
import { getOwnEndpointShown, serviceNamesOf, type EndpointRow, type EndpointShown } from './repository.ts';

export type EndpointViewJson = ReturnType<typeof endpointView>;

/**
 * The API objects of many endpoints with two extra queries in all (service
 * names, tags), whatever the page size. An endpoint whose service is gone (it
 * is `failed` then, decision #6) shows an empty service name.
 */
export async function endpointViewsFor(
  db: Kysely<Database>,
  rows: readonly EndpointRow[],
): Promise<EndpointViewJson[]> {
  if (rows.length === 0) return [];
  const [names, tags] = await Promise.all([
    serviceNamesOf(
      db,
      rows.map((r) => r.service_id),
    ),
    tagsOf(
      db,
      rows.map((r) => r.id),
    ),
  ]);
  return rows.map((r) =>
    endpointView(r, { serviceName: names.get(r.service_id) ?? '', tags: tags.get(r.id) ?? [] }),
  );
}

export async function endpointViewFor(db: Kysely<Database>, row: EndpointRow): Promise<EndpointViewJson> {
  const [view] = await endpointViewsFor(db, [row]);
  if (!view) throw new Error('unreachable: one row gives one view');
  return view;
}

const viewOfRead = keptViews((shown: EndpointShown) =>
  endpointView(shown.row, { serviceName: shown.serviceName, tags: shown.tags }),
);

/**
 * The API object of one of the caller's endpoints, or undefined when it is
 * missing or another project's: one prepared read, tags included; frozen and
 * shared when built from a kept row (shared/kept-views.ts).
 */
export async function ownEndpointView(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<EndpointViewJson | undefined> {
  const found = await getOwnEndpointShown(db, projectId, id);
  return found && viewOfRead(found);
}
