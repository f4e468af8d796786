import { CONNECTED_ENDPOINT_STATUSES } from '../shared/lifecycle.ts';
import { serviceView } from '../shared/present.ts';
import { deepFreeze } from '../shared/deep-freeze.ts';
import { tagsOf } from '../shared/tag-rows.ts';
import {
  countEndpointsByService,
  ownServiceShownReader,
  servicePorts,
  type Db,
  type ServiceRow,
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

/** Views of kept rows, as for endpoints (endpoints/views.ts): built once per kept row, frozen. */
const viewsOfKeptRows = new WeakMap<object, ServiceView>();

/**
 * The API object of one of the caller's services, or undefined when it is
 * missing, another project's or public: one prepared read. A view built from
 * a kept row is shared by the requests that read it and is frozen, all the
 * way down.
 */
export async function ownServiceView(
  db: Db,
  projectId: string,
  id: string,
): Promise<ServiceView | undefined> {
  const found = await readOwnServiceShown(db, projectId, id);
  if (!found) return undefined;
  const known = found.kept && viewsOfKeptRows.get(found.kept);
  if (known) return known;
  const { row, ports, tags, connectionCount } = found.shown();
  const view = serviceView(row, ports, tags, connectionCount);
  if (found.kept) viewsOfKeptRows.set(found.kept, deepFreeze(view));
  return view;
}
