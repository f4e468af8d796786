import { jsonBody, path, type HttpRequest, type Query, type Transport } from './http.ts';
import type { Page } from './types.ts';

// What every resource module builds on: a call under the caller's project, and
// the two pagination styles of the API (offset/limit for VPCEP, marker for VPC).

export interface Scope {
  readonly transport: Transport;
  readonly projectId: string;
}

export interface CallOptions {
  params?: Readonly<Record<string, string>>;
  query?: Query;
  body?: unknown;
}

/** Calls `template` (`{project_id}` filled in) and answers the parsed JSON body. */
export async function call<T>(
  scope: Scope,
  method: HttpRequest['method'],
  template: string,
  opts: CallOptions = {},
): Promise<T> {
  const response = await scope.transport.send({
    method,
    path: path(template, { ...opts.params, project_id: scope.projectId }),
    ...(opts.query !== undefined ? { query: opts.query } : {}),
    ...(opts.body !== undefined ? { body: jsonBody(opts.body) } : {}),
  });
  return response.json as T;
}

/** The largest page the VPCEP lists accept (the whitelist list takes 500). */
export const MAX_PAGE = 1000;

/**
 * Every item of an offset-paged list, `pageSize` at a time, stopping at the
 * total the server reports or at the first short page (items created or
 * deleted meanwhile may shift a row between pages, as with any offset pager).
 */
export async function allPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  pageSize = MAX_PAGE,
): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const page = await fetchPage(out.length, pageSize);
    out.push(...page.items);
    if (page.items.length < pageSize || out.length >= page.total) return out;
  }
}

/** Every item of a marker-paged list (VPC API): the last id of a page is the next marker. */
export async function allMarkerPages<T extends { id: string }>(
  fetchPage: (marker: string | undefined, limit: number) => Promise<T[]>,
  pageSize = 2000,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (;;) {
    const items = await fetchPage(marker, pageSize);
    out.push(...items);
    const last = items.at(-1);
    if (items.length < pageSize || last === undefined || last.id === marker) return out;
    marker = last.id;
  }
}
