// One server for bench/api-auth.ts, in a process of its own so the load
// generator and the server never share an event loop.
//
//   node --import tsx bench/support/serve-child.ts bare
//   node --import tsx bench/support/serve-child.ts vpcep [--database URL]
//
// `bare` is a plain fastify app with one route (GET /bare, a small JSON object,
// no hooks). `vpcep` is the real server from src/main.ts, seeded with
// BENCH_ACCOUNT, on a temporary SQLite database unless --database names one
// (e.g. postgres://…; the bench account is then written into that database).
// The first stdout line is the URL it listens on. It exits on SIGTERM/SIGINT or
// as soon as its stdin closes, so it never outlives the process that started it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config/load.ts';
import { startServer } from '../../src/main.ts';
import { benchAccountConfig } from './account.ts';
import { exitWithParent } from './child-lifetime.ts';

interface Served {
  url: string;
  close(): Promise<void>;
}

async function startBare(): Promise<Served> {
  const app = Fastify({ logger: false });
  app.get('/bare', async () => ({ ok: true, service: 'bare' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('bare server has no TCP address');
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

async function startVpcep(database: string | undefined): Promise<Served> {
  const tempDir = database === undefined ? mkdtempSync(join(tmpdir(), 'vpcep-bench-')) : undefined;
  const removeTemp = () => {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        listen: '127.0.0.1:0',
        database: database ?? `sqlite:${join(tempDir ?? '', 'vpcep.db')}`,
        log_level: 'silent',
        demo_account: false,
        // Background job polling, if any, stays out of the measurement.
        jobs: { poll_ms: 60_000, lease_ms: 30_000, max_attempts: 10 },
        // The API is measured alone: no listeners for the seeded endpoints, no DNS port.
        roles: ['api', 'jobs'],
        accounts: [benchAccountConfig()],
      },
    });
    const running = await startServer(config, { logger: false });
    return {
      url: running.url,
      async close() {
        try {
          await running.close();
        } finally {
          removeTemp();
        }
      },
    };
  } catch (err) {
    removeTemp();
    throw err;
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { database: { type: 'string' } },
  });
  const mode = positionals[0];
  if (mode !== 'bare' && mode !== 'vpcep') {
    throw new Error('usage: serve-child.ts bare | vpcep [--database URL]');
  }
  const served = mode === 'bare' ? await startBare() : await startVpcep(values.database);

  exitWithParent('serve-child', () => served.close());

  process.stdout.write(`${served.url}\n`);
}

main().catch((err: unknown) => {
  console.error('serve-child:', err);
  process.exit(1);
});
