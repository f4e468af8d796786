import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as pg0001 from './postgres/0001_identity_jobs.ts';
import * as pg0002 from './postgres/0002_vpc.ts';
import * as pg0003 from './postgres/0003_vpcep.ts';
import * as pg0004 from './postgres/0004_iam.ts';
import * as pg0005 from './postgres/0005_port_numbers.ts';
import * as pg0006 from './postgres/0006_marker_sequence.ts';
import * as pg0007 from './postgres/0007_subnet_free_from.ts';
import * as pg0008 from './postgres/0008_create_endpoint_function.ts';
import * as pg0009 from './postgres/0009_create_endpoint_function_whitelist.ts';
import * as sq0001 from './sqlite/0001_identity_jobs.ts';
import * as sq0002 from './sqlite/0002_vpc.ts';
import * as sq0003 from './sqlite/0003_vpcep.ts';
import * as sq0004 from './sqlite/0004_iam.ts';
import * as sq0005 from './sqlite/0005_port_numbers.ts';
import * as sq0006 from './sqlite/0006_marker_sequence.ts';
import * as sq0007 from './sqlite/0007_subnet_free_from.ts';
import * as sq0008 from './sqlite/0008_create_endpoint_function.ts';
import * as sq0009 from './sqlite/0009_create_endpoint_function_whitelist.ts';

// Numbered migrations, one set per dialect, imported statically so they run the
// same under tsx and in a bundled build. A migration is a list of statements
// because better-sqlite3 prepares one statement at a time.

type Statements = { statements: readonly string[] };

const sets: Record<'sqlite' | 'postgres', Record<string, Statements>> = {
  sqlite: {
    '0001_identity_jobs': sq0001,
    '0002_vpc': sq0002,
    '0003_vpcep': sq0003,
    '0004_iam': sq0004,
    '0005_port_numbers': sq0005,
    '0006_marker_sequence': sq0006,
    '0007_subnet_free_from': sq0007,
    '0008_create_endpoint_function': sq0008,
    '0009_create_endpoint_function_whitelist': sq0009,
  },
  postgres: {
    '0001_identity_jobs': pg0001,
    '0002_vpc': pg0002,
    '0003_vpcep': pg0003,
    '0004_iam': pg0004,
    '0005_port_numbers': pg0005,
    '0006_marker_sequence': pg0006,
    '0007_subnet_free_from': pg0007,
    '0008_create_endpoint_function': pg0008,
    '0009_create_endpoint_function_whitelist': pg0009,
  },
};

function toMigration(m: Statements): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const s of m.statements) await sql.raw(s).execute(db);
    },
  };
}

export function migrationProvider(dialect: 'sqlite' | 'postgres'): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(sets[dialect])) out[name] = toMigration(m);
      return out;
    },
  };
}
