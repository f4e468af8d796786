import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createAjv, describeAjvErrors } from '../schema/ajv.ts';
import { parseCustomPolicy } from '../auth/policy/document.ts';
import { ApiError } from '../errors/api-error.ts';
import { declaredScope } from '../identity/grants/rules.ts';
import { systemRoleByName } from '../identity/roles/system-roles.ts';
import { redactUrls } from '../store/redact.ts';
import { parseHostCidr } from '../vpc/cidr.ts';
import { defaultConfig } from './defaults.ts';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    // The message may quote the file or a value, and a database URL in either holds a password.
    super(redactUrls(message));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path of a YAML file; VPCEP_CONFIG is used when absent. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Applied last, after the file and the environment (used by tests and flags). */
  overrides?: Partial<Config>;
}

// verbose: errors carry their schema, so a message can list the allowed keys and values.
const validate = createAjv('strict', { allErrors: true, verbose: true }).compile<Config>(ConfigSchema);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars replace, so a file can shorten a list. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function readFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new ConfigError(`configuration file ${file} must hold a mapping of keys`);
  return doc;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:8080`, `[::1]:8080` or `:8080` (all interfaces). */
export function parseListen(value: string, key = 'listen'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new ConfigError(`config key '${key}' must look like HOST:PORT, got '${value}'`);
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] ?? ''));
  return { host, port };
}

/** `api,jobs` → ['api', 'jobs']; the schema then checks each name. */
export function parseRoles(value: string): string[] {
  return value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

/** An IPv4 CIDR; host bits may be set (127.0.0.1/8 means 127.0.0.0/8), as for a subnet mask on a host. */
function isIpv4Cidr(value: string): boolean {
  return parseHostCidr(value) !== undefined;
}

function checkDatabaseUrl(url: string): void {
  const problem = `config key 'database' must be sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB, got '${url}'`;
  if (url.startsWith('sqlite:')) return;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(problem);
  // The driver would fail later with an error that carries the whole URL in a field.
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${problem} (not a valid URL)`);
  }
}

/**
 * The IAM declarations of an account refer to each other: policies must be
 * valid documents, group members declared users, grants known roles on declared
 * projects. Checked here so a mistake names its key instead of failing seeding.
 */
function checkIdentity(account: Config['accounts'][number], key: string, region: string): void {
  const users = new Set((account.users ?? []).map((u) => u.name));
  const policies = new Set<string>();
  (account.policies ?? []).forEach((p, j) => {
    const doc = parseCustomPolicy(p.policy);
    if (doc instanceof ApiError) {
      throw new ConfigError(
        `config key '${key}.policies[${j}].policy' is not a valid policy: ${doc.message}`,
      );
    }
    policies.add(p.name);
  });
  const projects = new Set(
    (account.projects ?? [{ name: region }]).flatMap((p) => [p.name, ...(p.id ? [p.id] : [])]),
  );
  (account.groups ?? []).forEach((g, j) => {
    (g.users ?? []).forEach((name, k) => {
      if (!users.has(name))
        throw new ConfigError(
          `config key '${key}.groups[${j}].users[${k}]' names no user of the account: '${name}'`,
        );
    });
    (g.grants ?? []).forEach((grant, k) => {
      const where = `config key '${key}.groups[${j}].grants[${k}]'`;
      if (!systemRoleByName(grant.role) && !policies.has(grant.role)) {
        throw new ConfigError(`${where} names no system role and no policy of the account: '${grant.role}'`);
      }
      const scope = declaredScope(grant);
      if (typeof scope !== 'string') throw new ConfigError(`${where} ${scope.problem}`);
      if (scope === 'project' && !projects.has(grant.project ?? '')) {
        throw new ConfigError(`${where} names no project of the account: '${grant.project ?? ''}'`);
      }
    });
  });
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let merged: unknown = defaultConfig();
  const file = opts.file ?? env.VPCEP_CONFIG;
  if (file) merged = merge(merged, readFile(file));
  const fromEnv: Record<string, unknown> = {};
  if (env.VPCEP_LISTEN) fromEnv.listen = env.VPCEP_LISTEN;
  if (env.VPCEP_DATABASE_URL) fromEnv.database = env.VPCEP_DATABASE_URL;
  if (env.VPCEP_ROLES) fromEnv.roles = parseRoles(env.VPCEP_ROLES);
  if (env.VPCEP_DNS_LISTEN) fromEnv.dns = { listen: env.VPCEP_DNS_LISTEN };
  if (env.VPCEP_METRICS_LISTEN) fromEnv.metrics = { listen: env.VPCEP_METRICS_LISTEN };
  if (env.VPCEP_LOG_LEVEL) fromEnv.log_level = env.VPCEP_LOG_LEVEL;
  if (env.VPCEP_LOG_FORMAT) fromEnv.log_format = env.VPCEP_LOG_FORMAT;
  merged = merge(merged, fromEnv);
  if (opts.overrides) merged = merge(merged, opts.overrides);
  if (!validate(merged)) {
    const lines = describeAjvErrors(validate.errors ?? [], 'config');
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  parseListen(merged.listen);
  parseListen(merged.dns.listen, 'dns.listen');
  for (const key of ['bindable_cidrs', 'reserved_cidrs'] as const) {
    merged.dataplane[key].forEach((cidr, i) => {
      if (!isIpv4Cidr(cidr)) {
        throw new ConfigError(
          `config key 'dataplane.${key}[${i}]' must be an IPv4 CIDR such as 127.0.0.0/8, got '${cidr}'`,
        );
      }
    });
  }
  checkDatabaseUrl(merged.database);
  merged.accounts.forEach((account, i) => checkIdentity(account, `accounts[${i}]`, merged.region));
  if (merged.metrics.listen !== undefined) parseListen(merged.metrics.listen, 'metrics.listen');
  return merged;
}
