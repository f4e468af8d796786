import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataDirOf } from '../config/data-dir.ts';
import { ConfigError, loadConfig, parseListen } from '../config/load.ts';
import { DEMO_ACCOUNT_FILE } from '../store/file-modes.ts';
import { checkCredentials } from './profiles.ts';
import { UsageError } from './usage.ts';

// The demo account a server created on its first start, read back from the
// files it wrote into its data folder (config/data-dir.ts). Loaded on demand (it reads the
// server's configuration code), so other commands start without it. Which server: the one `vpcep
// serve` would run here (same --config, $VPCEP_CONFIG, $VPCEP_DATABASE_URL),
// or the data folder given.

export interface DemoAccountFile {
  domain: string;
  user: string;
  password: string;
  project_id: string;
  project_name: string;
  ak: string;
  sk: string;
}

export interface DemoLocation {
  /** The server's data folder, where it writes the account files. */
  dataDir: string;
  file: string;
  /** The API as the configuration says it listens, when that names a port. */
  endpoint: string | undefined;
}

function configOf(configFile: string | undefined) {
  try {
    return loadConfig({ file: configFile });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * `http://HOST:PORT` (`https://` when the server has `tls`) a local client reaches a server
 * listening on `listen` at (wildcards → loopback).
 */
export function endpointOfListen(listen: string, tls = false): string | undefined {
  const { host, port } = parseListen(listen);
  if (port === 0) return undefined;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${tls ? 'https' : 'http'}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export function locateDemoAccount(opts: {
  dataDir?: string | undefined;
  config?: string | undefined;
}): DemoLocation {
  if (opts.dataDir !== undefined) {
    const dataDir = resolve(opts.dataDir);
    return { dataDir, file: join(dataDir, DEMO_ACCOUNT_FILE), endpoint: undefined };
  }
  const config = configOf(opts.config);
  const dataDir = dataDirOf(config);
  if (dataDir === undefined) {
    throw new UsageError('an in-memory database leaves no demo account file (set data_dir to keep one)');
  }
  return {
    dataDir,
    file: join(dataDir, DEMO_ACCOUNT_FILE),
    endpoint: endpointOfListen(config.listen, config.tls !== undefined),
  };
}

/** Reads the account file; refused when others may read it, as profiles are. */
export function readDemoAccount(file: string): DemoAccountFile {
  let text: string;
  try {
    const mode = statSync(file).mode;
    if ((mode & 0o077) !== 0) {
      throw new UsageError(
        `${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      (err as { code?: string }).code === 'ENOENT'
        ? `no demo account at ${file}: start 'vpcep serve' with an empty store and no configured accounts ` +
            'here first, or pass --data-dir'
        : `cannot read ${file}: ${(err as Error).message}`,
    );
  }
  let doc: Partial<Record<keyof DemoAccountFile, unknown>>;
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const account: DemoAccountFile = {
    domain: s(doc.domain),
    user: s(doc.user),
    password: s(doc.password),
    project_id: s(doc.project_id),
    project_name: s(doc.project_name),
    ak: s(doc.ak),
    sk: s(doc.sk),
  };
  checkCredentials({ endpoint: '', ak: account.ak, sk: account.sk, projectId: account.project_id }, file);
  return account;
}
