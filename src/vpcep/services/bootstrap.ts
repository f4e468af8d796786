import type { Transaction } from 'kysely';
import type { PublicServiceConfig } from '../../config/schema.ts';
import { uuid } from '../../context/ids.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Database } from '../../store/schema.ts';
import type { VpcepDeps } from '../deps.ts';
import type { PortMapping } from '../shared/present.ts';
import { deleteTagsOf } from '../shared/tag-rows.ts';
import { composeServiceName } from '../shared/text.ts';
import * as repo from './repository.ts';
import type { Db, ServiceRow } from './repository.ts';
import { checkPorts } from './rules.ts';
import { TCP_PROXY_VALUES } from './schemas.ts';

// The operator's public services (decision #21) are rows like any other service,
// marked is_public = 1 with no project, domain, VPC or backend port, so the
// endpoint code connects to them through the same getServiceById() path. They
// are brought up to date from the configuration at every start: found by id
// when the file gives one, else by name; created when missing, changed when the
// file changed. A public service the file no longer names is removed when no
// endpoint refers to it, and kept (still listed) otherwise, so removing it from
// the file never breaks an existing connection.

const DEFAULT_OWNER = 'vpcep';

class PublicServiceError extends Error {
  constructor(name: string, detail: string) {
    super(`public service '${name}': ${detail}`);
    this.name = 'PublicServiceError';
  }
}

function portsOf(cfg: PublicServiceConfig, max: number): PortMapping[] {
  const ports = cfg.ports ?? [];
  // A gateway service (OBS-like) may have no mappings at all.
  if (ports.length === 0) return [];
  try {
    return checkPorts(ports, max);
  } catch (err) {
    if (err instanceof ApiError) throw new PublicServiceError(cfg.name, err.message);
    throw err;
  }
}

function tcpProxyOf(cfg: PublicServiceConfig): string {
  const value = cfg.tcp_proxy ?? 'close';
  if (!(TCP_PROXY_VALUES as readonly string[]).includes(value)) {
    throw new PublicServiceError(cfg.name, `tcp_proxy must be one of ${TCP_PROXY_VALUES.join(', ')}`);
  }
  return value;
}

async function findConfigured(db: Db, cfg: PublicServiceConfig): Promise<ServiceRow | undefined> {
  if (cfg.id !== undefined) {
    const row = await repo.getServiceById(db, cfg.id);
    if (row && row.is_public !== 1) {
      throw new PublicServiceError(cfg.name, `id ${cfg.id} belongs to a tenant's endpoint service`);
    }
    return row;
  }
  return repo.findPublicServiceByName(db, cfg.name);
}

/** The columns the configuration decides; everything else keeps its stored value. */
function desired(deps: VpcepDeps, cfg: PublicServiceConfig, id: string) {
  return {
    name: cfg.name,
    service_name: composeServiceName(deps.config.region, cfg.name, id),
    service_type: cfg.service_type,
    owner: cfg.owner ?? DEFAULT_OWNER,
    description: cfg.description ?? '',
    is_charge: cfg.is_charge === true ? 1 : 0,
    enable_policy: cfg.enable_policy === true ? 1 : 0,
    tcp_proxy: tcpProxyOf(cfg),
    // Where the data plane forwards accepted endpoints of an interface public service.
    ip: cfg.backend_ip ?? null,
    status: 'available',
  };
}

async function upsertOne(deps: VpcepDeps, db: Db, cfg: PublicServiceConfig): Promise<string> {
  const ports = portsOf(cfg, deps.config.limits.port_mappings);
  const existing = await findConfigured(db, cfg);
  const id = existing?.id ?? cfg.id ?? uuid();
  const want = desired(deps, cfg, id);
  const now = deps.clock.now();
  if (!existing) {
    const row: ServiceRow = {
      id,
      project_id: '',
      domain_id: '',
      ...want,
      port_id: '',
      vip_port_id: null,
      vpc_id: '',
      pool_id: null,
      // No backend port exists; VM is the neutral choice of the SDK's enum.
      server_type: 'VM',
      // No whitelist and no approval: every tenant may connect (decision #21).
      approval_enabled: 0,
      ip_version: 'ipv4',
      snat_network_id: null,
      cidr_type: null,
      is_public: 1,
      error: '[]',
      created_at: now,
      updated_at: now,
    };
    await repo.insertService(db, row);
    await repo.replacePorts(db, id, repo.mappingKey(row), ports);
    return id;
  }
  const stored = (await repo.servicePorts(db, [id])).get(id) ?? [];
  const portsChanged = JSON.stringify(stored) !== JSON.stringify(ports);
  const changed =
    portsChanged || Object.entries(want).some(([k, v]) => existing[k as keyof ServiceRow] !== v);
  if (!changed) return id;
  await repo.updateService(db, id, { ...want, error: '[]', updated_at: now });
  if (portsChanged) await repo.replacePorts(db, id, repo.mappingKey(existing), ports);
  return id;
}

/**
 * Brings the public services in `trx` up to date with the configuration and
 * returns the ids of those configured, for the caller to announce once `trx`
 * has committed. Start-up runs it under the seeding lock (store/seeding.ts),
 * so nodes starting together never both insert the same service.
 */
export async function syncPublicServices(deps: VpcepDeps, trx: Transaction<Database>): Promise<string[]> {
  const configured = deps.config.public_services;
  const names = new Set<string>();
  for (const cfg of configured) {
    if (names.has(cfg.name)) throw new PublicServiceError(cfg.name, 'the name is configured twice');
    names.add(cfg.name);
  }
  const kept = new Set<string>();
  for (const cfg of configured) {
    const id = await upsertOne(deps, trx, cfg);
    if (kept.has(id)) throw new PublicServiceError(cfg.name, `id ${id} is configured twice`);
    kept.add(id);
  }
  for (const row of await repo.publicServices(trx)) {
    if (kept.has(row.id) || (await repo.countEndpointsOf(trx, row.id)) > 0) continue;
    await deleteTagsOf(trx, row.id);
    await repo.deleteServiceRow(trx, row.id);
  }
  return [...kept];
}
