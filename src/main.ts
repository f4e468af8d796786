import type { FastifyServerOptions } from 'fastify';
import { buildApp } from './api/app.ts';
import type { App } from './api/types.ts';
import { Authenticator } from './auth/authenticator.ts';
import { TokenCodec } from './auth/tokens.ts';
import { parseListen } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './context/clock.ts';
import { IdentityRepository } from './identity/repository.ts';
import { ensureDemoAccount, seedAccounts, type DemoAccount } from './identity/seed.ts';
import { JobWorker } from './jobs/index.ts';
import { openStore, type Store } from './store/open.ts';
import { ChangeBus } from './vpcep/change-bus.ts';
import type { VpcepDeps } from './vpcep/deps.ts';
import { vpcepJobs } from './vpcep/jobs.ts';
import { ensurePublicServices } from './vpcep/services/bootstrap.ts';

export interface StartOptions {
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** Where to print what a person starting the server should read (the demo login). */
  announce?: (text: string) => void;
}

export interface Running {
  app: App;
  store: Store;
  /** `http://host:port` the API listens on. */
  url: string;
  demo: DemoAccount | undefined;
  changes: ChangeBus;
  jobs: JobWorker;
  close(): Promise<void>;
}

/**
 * The composition root: opens the store, brings accounts up to date, builds and
 * starts every component in dependency order, and closes them in reverse.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  const store = await openStore(config.database);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const identity = new IdentityRepository(store.db);
    const tokens = new TokenCodec(await identity.ensureSetting('token_secret', TokenCodec.newSecret()));
    await seedAccounts(store.db, config.accounts, config.region, clock);
    const demo =
      config.demo_account && config.accounts.length === 0
        ? await ensureDemoAccount(store.db, config.region, clock, store.dataDir)
        : undefined;
    const authenticator = new Authenticator(identity, tokens, clock, {
      maxSkewMs: config.signature_max_skew_seconds * 1000,
    });
    const changes = new ChangeBus();
    // The worker needs the handlers and the handlers need to wake the worker:
    // the wake function is bound once both exist.
    let wake = () => {};
    const vpcep: VpcepDeps = {
      db: store.db,
      dialect: store.dialect,
      clock,
      config,
      wakeJobs: () => wake(),
      notifyChange: (change) => changes.publish(change),
    };
    await ensurePublicServices(vpcep);
    const registry = vpcepJobs(vpcep);
    const app = await buildApp(
      { config, store, clock, identity, authenticator, tokens, vpcep },
      { logger: opts.logger ?? false },
    );
    const jobs = new JobWorker({
      db: store.db,
      dialect: store.dialect,
      clock,
      pollMs: config.jobs.poll_ms,
      leaseMs: config.jobs.lease_ms,
      maxAttempts: config.jobs.max_attempts,
      handlers: registry.handlers,
      onGiveUp: registry.onGiveUp,
      log: app.log,
    });
    wake = () => jobs.wake();
    closers.push(() => app.close());
    // Jobs start after the API listens and stop before it closes (closers run in reverse).
    closers.push(() => jobs.close());
    const { host, port } = parseListen(config.listen);
    await app.listen({ host, port });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    jobs.start();
    if (demo && opts.announce) opts.announce(describeDemo(demo, url, config.region));
    return { app, store, url, demo, changes, jobs, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function describeDemo(demo: DemoAccount, url: string, region: string): string {
  return [
    '',
    'vpcep created a demo account on first start:',
    `  account (domain) : ${demo.domainName}`,
    `  user / password  : ${demo.userName} / ${demo.password}`,
    `  project          : ${demo.projectName} (id ${demo.projectId})`,
    `  access key (AK)  : ${demo.ak}`,
    `  secret key (SK)  : ${demo.sk}`,
    demo.credentialsFile ? `  keys also written to ${demo.credentialsFile}` : '',
    `  endpoint         : ${url}   region: ${region}`,
    '',
  ].join('\n');
}
