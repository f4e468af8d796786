import { CONNECTED_ENDPOINT_STATUSES } from '../shared/lifecycle.ts';
import { serviceView } from '../shared/present.ts';
import { keptViews } from '../shared/kept-views.ts';
import { tagsOf } from '../shared/tag-rows.ts';
import {
  countEndpointsByService,
  ownServiceShownReader,
  servicePorts,
  type Db,
  type ServiceRow,
  type ServiceShown,
} from './repository.ts';

export type ServiceView = ReturnType<typeof serviceView>;

/**
 * The API objects of many services with three queries in all (port mappings,
 * tags, connection counts), whatever the page size. `connection_count` counts
 * the endpoints in creating or accepted.
 */
export async function serviceViewsFor(db: Db, rows: readonly ServiceRow[]): Promise<ServiceView[]> {
  const ids = rows.map((r) => r.id);
  const [ports, tags, counts] = await Promise.all([
    servicePorts(db, ids),
    tagsOf(db, ids),
    countEndpointsByService(db, ids, CONNECTED_ENDPOINT_STATUSES),
  ]);
  return rows.map((r) => serviceView(r, ports.get(r.id) ?? [], tags.get(r.id) ?? [], counts.get(r.id) ?? 0));
}

export async function serviceViewOf(db: Db, row: ServiceRow): Promise<ServiceView> {
  const [view] = await serviceViewsFor(db, [row]);
  if (!view) throw new Error('unreachable: one row gives one view');
  return view;
}

const readOwnServiceShown = ownServiceShownReader(CONNECTED_ENDPOINT_STATUSES);

const viewOfRead = keptViews((shown: ServiceShown) =>
  serviceView(shown.row, shown.ports, shown.tags, shown.connectionCount),
);

/**
 * The API object of one of the caller's services, or undefined when it is
 * missing, another project's or public: one prepared read; frozen and shared
 * when built from a kept row (shared/kept-views.ts).
 */
export async function ownServiceView(
  db: Db,
  projectId: string,
  id: string,
): Promise<ServiceView | undefined> {
  const found = await readOwnServiceShown(db, projectId, id);
  return found && viewOfRead(found);
}
