// The options of bench/api-speed.ts and the constants its parts share.
import { parseArgs } from 'node:util';
import { positiveInt } from './report.ts';

/** Every project-scoped route, as the report names it. */
export const P = '/v1/{project_id}';
/** Measured rounds of each throughput case and of the list series. */
export const ROUNDS = 2;

export function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      creates: { type: 'string' },
      fill: { type: 'string' },
      silent: { type: 'boolean' },
      database: { type: 'string' },
      'no-sqlite': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node --import tsx bench/api-speed.ts [--duration N] [--connections N] [--warmup N] ' +
        '[--creates N] [--fill N] [--silent] [--database postgres://…] [--no-sqlite]',
    );
    process.exit(0);
  }
  const fromEnv = process.env.VPCEP_BENCH_DATABASE_URL;
  const database = values.database ?? (fromEnv === '' ? undefined : fromEnv);
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
    throw new Error(`--database must be a postgres://… URL, got '${database}'`);
  }
  if (values['no-sqlite'] && database === undefined) throw new Error('--no-sqlite needs --database');
  const connections = positiveInt('connections', values.connections, 50, 1000);
  // Two rounds, the warm-up and the check must fit the bench subnet's 65,534 addresses.
  const creates = positiveInt('creates', values.creates, 20_000, 20_000);
  if (creates < connections * 2) throw new Error(`--creates must be at least twice --connections`);
  const fill = positiveInt('fill', values.fill, 2000, 20_000);
  if (fill < 100) throw new Error('--fill must be at least 100');
  return {
    duration: positiveInt('duration', values.duration, 5, 120),
    connections,
    warmup: positiveInt('warmup', values.warmup, 1, 60),
    creates,
    fill,
    silent: values.silent === true,
    database,
    sqlite: !values['no-sqlite'],
  };
}

export type Options = ReturnType<typeof readOptions>;
