// What the API costs, in one run: every figure of the API speed goals, on
// SQLite and (given a database URL) on PostgreSQL, with the vpcep server in its
// default configuration (log level and metrics as shipped; the log goes where
// `vpcep serve` writes it, here /dev/null), each as a ratio to a bare fastify
// route or to its own baseline measured in the same run on the same machine:
//
//  1. requests/s of GET /v1/{project_id}/vpc-endpoints/{id} with X-Auth-Token
//     and with an AK/SK signature, as the account's user and as an IAM user
//     whose rights come from a custom policy; and of POST
//     /v1/{project_id}/vpc-endpoints (create), AK/SK signed; and, as references
//     beside the goals, of vpcep's two cheapest answers, GET /healthz (hooks only)
//     and GET / (hooks and the request's log line);
//  2. the latency of creating endpoints one at a time into an empty subnet: the
//     median of the last 50 of --fill creates over that of the first 50;
//  3. p50/p99 latency of GET /v1/{project_id}/vpc-endpoints?limit=10 when the
//     project holds 1,000 and 100,000 endpoints, and their ratio (lists must not
//     scan: 100k/1k must stay within 2×), plus the p50 of a list filtered by
//     vpc_id at both sizes, for information.
//
// Usage:
//   node --import tsx bench/api-speed.ts [--duration 5] [--connections 50] [--warmup 1]
//                                        [--creates 500] [--fill 2000] [--silent]
//                                        [--database postgres://USER:PASS@HOST:PORT/DB] [--no-sqlite]
//
//   --duration N     seconds measured per throughput case and round (default 5); also
//                    bounds every latency series and create run
//   --connections N  concurrent keep-alive connections for part 1, pipelining 1 (default 50)
//   --warmup N       seconds of unmeasured load per case before the first round (default 1)
//   --creates N      at most N creates per measured round (default 20000): creates run
//                    for --duration like the GETs, this only bounds them; the warm-up
//                    (--warmup seconds) sends at most N/10
//   --fill N         endpoints created one by one into the empty subnet (default 2000)
//   --silent         run vpcep with log_level silent (not the default configuration)
//   --database URL   also run everything on this PostgreSQL server (default: the
//                    VPCEP_BENCH_DATABASE_URL environment variable): a fresh database is
//                    created per server (vpcep_bench_<random>_<case>) and dropped at the end
//   --no-sqlite      with --database, skip the SQLite runs
//
// The parts live in bench/support/api-speed-throughput.ts (1), api-speed-fill.ts
// (2) and api-speed-lists.ts (3); this file runs them and prints the summary.
//
// Servers run in child processes (bench/support/vpcep-api-child.ts for vpcep,
// bench/support/serve-child.ts for the bare route); load comes from this
// process. Each vpcep child first creates, through the API, an endpoint service
// (same account, no approval) and one endpoint of it in a 127.40.0.0/16 subnet,
// with a quota of 1,000,000 endpoints; the list servers then copy that endpoint
// straight into the database up to 1,000 or 100,000 rows (endpoints plus the
// project's resource_usage) before the server starts for real. During the
// measurements endpoint_create is delayed by an hour: the creates measured
// here are the synchronous request (validation, quota, address, marker, row,
// job) and leave their endpoints `creating`; no job runs under load.
//
// Any non-2xx response, socket error or timeout, in a check, warm-up or
// measurement, fails the run (exit code 1), and so does a 100k/1k p50 ratio of
// the unfiltered list above 2. The default run (SQLite only) takes about 120 s on an
// idle 2-CPU machine; a database URL adds about 120 s.
import { availableParallelism, cpus } from 'node:os';
import { harness, spawnBare } from './support/api-speed-children.ts';
import { listLatency } from './support/api-speed-lists.ts';
import { readOptions } from './support/api-speed-options.ts';
import { throughput, type ApiFigures } from './support/api-speed-throughput.ts';
import { postgresDatabases, sqliteDatabases, type Databases } from './support/bench-databases.ts';
import { reportFailures } from './support/harness.ts';
import { fmtInt, fmtLoad, table } from './support/report.ts';

async function main(): Promise<void> {
  const opts = readOptions();
  harness.handleSignals();

  const dbsList: Databases[] = [];
  if (opts.sqlite) dbsList.push(sqliteDatabases());
  if (opts.database !== undefined) dbsList.push(postgresDatabases(opts.database));
  const failures: string[] = [];

  // The last line of defence: whatever happens, the run ends.
  const perDialect = 300 + 30 * opts.duration + 6 * opts.warmup;
  harness.deadline((30 + dbsList.length * perDialect) * 1000, () => {
    for (const d of dbsList) if (d.dialect === 'sqlite') void d.cleanup();
  });

  const summary: string[][] = [['figure', 'goal', ...dbsList.map((d) => d.dialect)]];
  const figures: { api: ApiFigures; list: { p50: number; p99: number } }[] = [];
  try {
    const bareUrl = await spawnBare();
    console.log(
      `node ${process.version}, ${availableParallelism()} CPU (${cpus()[0]?.model.trim() ?? '?'}), ` +
        `load average ${fmtLoad()}`,
    );
    for (const dbs of dbsList) {
      console.log(`\n=== ${dbs.label}`);
      const api = await throughput(opts, dbs, bareUrl, failures);
      const list = await listLatency(opts, dbs, failures);
      figures.push({ api, list });
    }
    console.log(`\nload average after ${fmtLoad()}`);
    const row = (figure: string, goal: string, pick: (f: (typeof figures)[number]) => number, digits = 3) =>
      summary.push([figure, goal, ...figures.map((f) => pick(f).toFixed(digits))]);
    row('GET one endpoint, X-Auth-Token ÷ bare fastify', '≥ 0.5', (f) => f.api.token);
    row('GET one endpoint, AK/SK ÷ bare fastify', '≥ 0.5', (f) => f.api.aksk);
    row('same, IAM user (custom policy) ÷ account user, token', '≥ 0.9', (f) => f.api.iamToken, 2);
    row('same, IAM user (custom policy) ÷ account user, AK/SK', '≥ 0.9', (f) => f.api.iamAksk, 2);
    row('POST endpoint ÷ bare fastify', '≥ 0.05 SQLite, ≥ 0.02 PostgreSQL', (f) => f.api.create);
    row(`create the ${fmtInt(opts.fill)}th endpoint of a subnet ÷ the first`, '≤ 1.5', (f) => f.api.fill, 2);
    row('list 10 of 100k ÷ list 10 of 1k, p99', '≤ 1.5', (f) => f.list.p99, 2);
    row('list 10 of 100k ÷ list 10 of 1k, p50', '≤ 2 (fails the run)', (f) => f.list.p50, 2);
    row(
      'floor: GET /healthz ÷ bare fastify (no credentials, no store, no log)',
      'reference',
      (f) => f.api.healthz,
    );
    row('floor: GET / (versions, one log line) ÷ bare fastify', 'reference', (f) => f.api.versions);
    console.log('\nsummary (ratios from this run):');
    console.log(table(summary, 2));
  } finally {
    await harness.stopChildren();
    for (const d of dbsList) {
      try {
        await d.cleanup();
      } catch (err) {
        failures.push(`cleanup of ${d.label}: ${(err as Error).message}`);
      }
    }
    reportFailures(failures, ':');
  }
}

harness.run(main);
