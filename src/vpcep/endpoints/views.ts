import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { endpointView } from '../shared/present.ts';
import { deepFreeze } from '../shared/deep-freeze.ts';
import { tagsOf } from '../shared/tag-rows.ts';
import { getOwnEndpointShown, serviceNamesOf, type EndpointRow } from './repository.ts';

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

/**
 * Views of kept rows: while no commit has happened, SQLite's read connection
 * hands every GET of an endpoint the same frozen row (getOwnEndpointShown), so
 * its view is built once, frozen, and handed out again. Entries go with their
 * rows once the store stops handing them out.
 */
const viewsOfKeptRows = new WeakMap<object, EndpointViewJson>();

/**
 * The API object of one of the caller's endpoints, or undefined when it is
 * missing or another project's: one prepared read, tags included. A view built
 * from a kept row is shared by the requests that read it and is frozen, all
 * the way down.
 */
export async function ownEndpointView(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<EndpointViewJson | undefined> {
  const found = await getOwnEndpointShown(db, projectId, id);
  if (!found) return undefined;
  const known = found.kept && viewsOfKeptRows.get(found.kept);
  if (known) return known;
  const { row, serviceName, tags } = found.shown();
  const view = endpointView(row, { serviceName, tags });
  if (found.kept) viewsOfKeptRows.set(found.kept, deepFreeze(view));
  return view;
}
