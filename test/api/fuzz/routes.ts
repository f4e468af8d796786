// Which routes the fuzz drives. Every route the server registers must be
// fuzzed or be on NOT_FUZZED with its reason: the documented operations of
// /openapi.json; their HEAD twins (fastify answers HEAD for every GET) and the
// HEAD routes of the IAM checks, which the document leaves out; the routes the
// document hides on purpose but that take input (the tag catch-alls for an
// unknown resource type, the wildcard file paths of /docs and /console).
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Operation, Parameter } from './openapi.ts';

export interface Route {
  method: string;
  /** In the document's spelling: `/v1/{project_id}/vpcs`, `/docs/static/*`. */
  path: string;
}

const routeKey = (r: Route) => `${r.method} ${r.path}`;

/**
 * Every route `app` registered, read from fastify's route tree (`printRoutes`:
 * each line a node, its path the concatenation of its ancestors', the methods of
 * a route in parentheses) and each confirmed with `hasRoute`, so a line the
 * parser misread fails here instead of hiding a route.
 */
export function registeredRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  /** The full path of the last node printed at each depth. */
  const pathAt: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(.*?)[├└]── (\S+)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/.exec(line);
    assert.ok(m, `a route tree line the fuzz does not understand: ${line}`);
    const [, indent = '', segment = '', methodList] = m;
    // One node with two parameter names (`:a|:b`) would need hasRoute to tell them apart.
    assert.ok(!segment.includes('|'), `a route tree node with several parameter names: ${line}`);
    const depth = [...indent].length / 4;
    const path = (depth === 0 ? '' : (pathAt[depth - 1] ?? '')) + segment;
    pathAt[depth] = path;
    pathAt.length = depth + 1;
    for (const method of methodList?.split(', ') ?? []) {
      assert.ok(
        app.hasRoute({ method, url: path }),
        `the route tree names ${method} ${path}, fastify has no such route`,
      );
      routes.push({ method, path: path.replace(/:(\w+)/g, '{$1}') });
    }
  }
  return routes;
}

/** Routes deliberately not fuzzed here, each with the reason and the test that covers it instead. */
export const NOT_FUZZED: { matches(path: string): boolean; why: string }[] = [
  {
    matches: (p) => p === '/openapi.json',
    why: 'the fixed document this fuzz reads: no input',
  },
  {
    // Swagger UI's page, its files and the document again; the wildcard is fuzzed (WILDCARDS).
    matches: (p) => p === '/docs' || (p.startsWith('/docs/') && !p.endsWith('*')),
    why: 'Swagger UI: fixed files and documents, no input (test/api/edge.test.ts)',
  },
  {
    // The console's shell and its two fixed files; the wildcard is fuzzed (WILDCARDS).
    matches: (p) => p === '/console' || p === '/console/settings.json' || p === '/console/favicon.svg',
    why: 'the web console: fixed files, no data (test/api/console.test.ts)',
  },
  {
    matches: (p) => p === '/metrics',
    why: 'operator data, no input (test/ops/metrics-listener.test.ts)',
  },
  {
    matches: (p) => p === '/healthz' || p === '/readyz',
    why: 'probes with fixed answers; credentials sent to them are ignored (test/ops/health.test.ts)',
  },
];

const param = (name: string): Parameter => ({ name, in: 'path', required: true, schema: { type: 'string' } });

/** Wildcard file routes: their one input is the file name, fuzzed like a path parameter. */
const WILDCARDS = ['/docs/static/*', '/console/assets/*'];

/** A wildcard route as an operation whose last segment is a parameter `file`. */
function wildcardOperation(path: string): Operation {
  return {
    method: 'GET',
    path: path.replace(/\*$/, '{file}'),
    pathParams: [param('file')],
    queryParams: [],
    body: undefined,
  };
}

/**
 * The tag routes for a resource type that is neither `endpoint_service` nor
 * `endpoint` (src/vpcep/tags/routes.ts), hidden from the document: the same
 * inputs as the documented routes of the real types, plus the type itself.
 */
function tagCatchAlls(documented: Operation[]): Operation[] {
  return documented
    .filter((op) => op.path.startsWith('/v1/{project_id}/endpoint/'))
    .map((op) => ({
      ...op,
      path: op.path.replace('/endpoint/', '/{resource_type}/'),
      pathParams: [...op.pathParams, param('resource_type')],
    }));
}

/** An operation answered for HEAD: the inputs of the same path's GET (or other documented method), no body. */
function headOf(path: string, fuzzed: Operation[]): Operation | undefined {
  const same = fuzzed.filter((op) => op.path === path);
  const base = same.find((op) => op.method === 'GET') ?? same[0];
  return base && { ...base, method: 'HEAD', body: undefined };
}

export interface FuzzPlan {
  /** Documented operations and the hidden routes that take input: every case of each. */
  operations: Operation[];
  /** HEAD routes: their path and query cases (a HEAD has no body). */
  heads: Operation[];
  /** Registered routes on NOT_FUZZED, with the reason. */
  skipped: string[];
  /** Registered routes that are none of the above: must be empty. */
  uncovered: string[];
  /** NOT_FUZZED entries and hidden routes that match no registered route: must be empty. */
  stale: string[];
}

/** Sorts every route of `routes` into what is fuzzed and how, given the document's operations. */
export function fuzzPlan(routes: Route[], documented: Operation[]): FuzzPlan {
  const hidden = [...tagCatchAlls(documented), ...WILDCARDS.map(wildcardOperation)];
  const operations = [...documented, ...hidden];
  // Wildcards are registered as `/docs/static/*`; their operations spell the file as `{file}`.
  const fuzzedPath = (path: string) => path.replace(/\*$/, '{file}');
  const byKey = new Set(operations.map((op) => routeKey({ method: op.method, path: op.path })));
  const heads: Operation[] = [];
  const skipped: string[] = [];
  const uncovered: string[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey({ method: route.method, path: fuzzedPath(route.path) });
    seen.add(key);
    if (byKey.has(key)) continue;
    const head = route.method === 'HEAD' ? headOf(fuzzedPath(route.path), operations) : undefined;
    if (head) {
      heads.push(head);
      continue;
    }
    const reason = NOT_FUZZED.find((n) => n.matches(route.path));
    if (reason) skipped.push(`${routeKey(route)}: ${reason.why}`);
    else uncovered.push(routeKey(route));
  }
  const stale = [
    ...NOT_FUZZED.filter((n) => !routes.some((r) => n.matches(r.path))).map((n) => n.why),
    ...hidden.map((op) => routeKey(op)).filter((key) => !seen.has(key)),
  ];
  return { operations, heads, skipped, uncovered, stale };
}
