import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../client/signed-transport.ts';
import { UsageError } from './usage.ts';

// Where the client commands get their credentials: a named profile (written by
// `vpcep configure`), else the official SDKs' environment variables, else the
// profile named `default`. Profiles are JSON files in $VPCEP_HOME/profiles (by
// default ~/.vpcep/profiles), readable by their owner only.

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';
export const ENV = {
  ak: 'HUAWEICLOUD_SDK_AK',
  sk: 'HUAWEICLOUD_SDK_SK',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  endpoint: 'VPCEP_ENDPOINT',
} as const;

/** A name that is a plain file name: no path separator, no leading dot. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** AK, SK and project id go into headers: visible ASCII only, bounded. */
const TOKEN = /^[\x21-\x7e]{1,256}$/;

export interface ResolvedCredentials extends Credentials {
  /** Where they came from, for messages: `profile NAME (path)` or `environment`. */
  source: string;
}

export function vpcepHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.VPCEP_HOME ? env.VPCEP_HOME : join(homedir(), '.vpcep');
}

export function profilePath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`invalid profile name '${name}': letters, digits, '.', '_' and '-' only`);
  }
  return join(vpcepHome(env), 'profiles', `${name}.json`);
}

/** Refuses a value that cannot be sent as a header, naming the field but never echoing a secret. */
export function checkCredentials(creds: Credentials, where: string): Credentials {
  for (const [field, value] of [
    ['access key', creds.ak],
    ['secret key', creds.sk],
    ['project id', creds.projectId],
  ] as const) {
    if (!TOKEN.test(value)) {
      throw new UsageError(`${where}: the ${field} is missing or holds spaces or control characters`);
    }
  }
  return creds;
}

export function writeProfile(name: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = profilePath(name, env);
  const dir = join(vpcepHome(env), 'profiles');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const body = JSON.stringify(
    { endpoint: creds.endpoint, ak: creds.ak, sk: creds.sk, project_id: creds.projectId },
    null,
    2,
  );
  // Written beside the target with the final mode, then renamed over it: the
  // secret never sits in a file others can read, and a crash leaves the old profile.
  const scratch = `${file}.${process.pid}.tmp`;
  writeFileSync(scratch, body + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(scratch, 0o600);
  renameSync(scratch, file);
  return file;
}

/** Reads a profile; a file others may read is refused, as ssh refuses such a key. */
export function readProfile(name: string, env: NodeJS.ProcessEnv = process.env): ResolvedCredentials {
  const file = profilePath(name, env);
  let text: string;
  try {
    const mode = statSync(file).mode;
    if ((mode & 0o077) !== 0) {
      throw new UsageError(
        `profile file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as { code?: string }).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `no profile '${name}' (${file}); create it with: vpcep configure --profile ${name}`
        : `cannot read profile ${file}: ${(err as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`profile file ${file} is not valid JSON`);
  }
  const fields = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const creds = checkCredentials(
    {
      endpoint: str(fields.endpoint) || DEFAULT_ENDPOINT,
      ak: str(fields.ak),
      sk: str(fields.sk),
      projectId: str(fields.project_id),
    },
    `profile ${file}`,
  );
  return { ...creds, source: `profile ${name} (${file})` };
}

function profileExists(name: string, env: NodeJS.ProcessEnv): boolean {
  try {
    statSync(profilePath(name, env));
    return true;
  } catch {
    return false;
  }
}

export interface CredentialChoice {
  profile?: string | undefined;
  endpoint?: string | undefined;
}

/** True when resolveCredentials has something to go on (a profile, the environment, a default profile). */
export function credentialsConfigured(
  choice: CredentialChoice,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return choice.profile !== undefined || Boolean(env[ENV.ak] || env[ENV.sk]) || profileExists('default', env);
}

/** The credentials a client command uses; `--endpoint` overrides wherever they came from. */
export function resolveCredentials(
  choice: CredentialChoice,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCredentials {
  let creds: ResolvedCredentials;
  if (choice.profile !== undefined) {
    creds = readProfile(choice.profile, env);
  } else if (env[ENV.ak] || env[ENV.sk]) {
    const fromEnv = {
      endpoint: env[ENV.endpoint] || DEFAULT_ENDPOINT,
      ak: env[ENV.ak] ?? '',
      sk: env[ENV.sk] ?? '',
      projectId: env[ENV.projectId] ?? '',
    };
    creds = { ...checkCredentials(fromEnv, `${ENV.ak}/${ENV.sk}/${ENV.projectId}`), source: 'environment' };
  } else if (profileExists('default', env)) {
    creds = readProfile('default', env);
  } else {
    throw new UsageError(
      `no credentials: pass --profile NAME (see 'vpcep configure'), or set ${ENV.ak}, ${ENV.sk} ` +
        `and ${ENV.projectId} ('eval "$(vpcep env)"' does so for the demo account)`,
    );
  }
  return choice.endpoint !== undefined ? { ...creds, endpoint: choice.endpoint } : creds;
}
