import { createHash } from 'node:crypto';

// The Keystone service catalog, as it appears in token responses and at
// `GET /v3/auth/catalog`. Clients that look their endpoints up there
// (gophertelekomcloud, hence the Open Telekom Cloud Terraform provider) use the
// URL as given and append their own paths, so each entry carries exactly the
// base that client expects (docs/terraform.md has the table).

interface CatalogService {
  type: string;
  name: string;
  /** The URL path after the base; a function of the project for project-bound services. */
  path: string | ((projectId: string) => string);
}

const SERVICES: readonly CatalogService[] = [
  // Identity clients append `v3/` unless the URL already ends in it.
  { type: 'identity', name: 'keystone', path: '/v3' },
  { type: 'iam', name: 'iam', path: '/v3' },
  // VPC v1 clients append `v1/` and then the project themselves.
  { type: 'network', name: 'neutron', path: '' },
  // VPC v3 clients replace the first `v1` with `v3`; VPCEP clients use the URL as is.
  { type: 'vpc', name: 'vpc', path: (p) => `/v1/${p}` },
  { type: 'vpcep', name: 'vpcep', path: (p) => `/v1/${p}` },
];

const INTERFACES = ['public', 'internal', 'admin'] as const;

export interface CatalogEndpoint {
  id: string;
  interface: string;
  region: string;
  region_id: string;
  url: string;
}

export interface CatalogEntry {
  id: string;
  name: string;
  type: string;
  endpoints: CatalogEndpoint[];
}

/** A stable 32-hex id, as Keystone's look. */
function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/**
 * The catalog for a caller acting in `projectId` (its own, checked by the
 * caller of this function), or in no project: project-bound services are then
 * left out, as Keystone leaves out endpoints whose URL names a project it
 * cannot fill in.
 */
export function serviceCatalog(baseUrl: string, region: string, projectId: string | null): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const service of SERVICES) {
    let path: string;
    if (typeof service.path === 'string') path = service.path;
    else if (projectId !== null) path = service.path(projectId);
    else continue;
    entries.push({
      id: stableId(service.type),
      name: service.name,
      type: service.type,
      endpoints: INTERFACES.map((iface) => ({
        id: stableId(service.type, iface, region),
        interface: iface,
        region,
        region_id: region,
        url: `${baseUrl}${path}`,
      })),
    });
  }
  return entries;
}
