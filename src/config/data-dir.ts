import { dirname, resolve } from 'node:path';
import type { Config } from './schema.ts';

/** The data folder when neither `data_dir` nor a SQLite file names one (PostgreSQL). */
export const DEFAULT_DATA_DIR = '.vpcep';

/**
 * The folder vpcep keeps its own files in (the demo account's login), as an
 * absolute path: `data_dir` when set, else the SQLite database's folder, else
 * `.vpcep` (PostgreSQL). Undefined for an in-memory SQLite store without
 * `data_dir`: nothing outlives it. The server writes there and `vpcep
 * credentials` reads there, so both must ask this one function.
 */
export function dataDirOf(config: Pick<Config, 'database' | 'data_dir'>): string | undefined {
  if (config.data_dir !== undefined) return resolve(config.data_dir);
  if (!config.database.startsWith('sqlite:')) return resolve(DEFAULT_DATA_DIR);
  const location = config.database.slice('sqlite:'.length);
  if (location === '' || location === ':memory:') return undefined;
  return dirname(resolve(location));
}
