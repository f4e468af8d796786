import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import { dirname } from 'node:path';
import { buildApp } from './api/app.ts';
import { buildOpsApp } from './api/ops-app.ts';
import type { App } from './api/types.ts';
import { Authenticator } from './auth/authenticator.ts';
import { Authorizer } from './auth/authorizer.ts';
import { TokenCodec } from './auth/tokens.ts';
import { dataDirOf } from './config/data-dir.ts';
import { parseListen } from './config/load.ts';
import type { Config, Role } from './config/schema.ts';
import { readTlsFiles, type TlsFiles } from './config/tls-files.ts';
import { systemClock, type Clock } from './context/clock.ts';
import { IamChangeWatch } from './identity/change-watch.ts';
import { loadPermissions } from './identity/permissions.ts';
import { IdentityRepository } from './identity/repository.ts';
import { ensureDemoAccount, saveDemoAccount, seedAccounts, type DemoAccount } from './identity/seed.ts';
import { renderDataplaneMetrics } from './dataplane/metrics.ts';
import { hasDataplaneRole, startDataplane, type Dataplane } from './dataplane/runtime.ts';
import { nodeChecks } from './health/checks.ts';
import { Readiness } from './health/readiness.ts';
import { DEFAULT_HANDLER_TIMEOUT_MS, JobWorker } from './jobs/index.ts';
import { Metrics } from './metrics/metrics.ts';
import { renderStoreMetrics } from './metrics/store-metrics.ts';
import { PgChangeFeed } from './store/change-feed.ts';
import { openStore, type Store } from './store/open.ts';
import { withSeedingLock } from './store/seeding.ts';
import { declaresTestbed } from './testbed/plan.ts';
import { prepareTestbed, testbedCheck, type Testbed } from './testbed/provision.ts';
import { ChangeBus } from './vpcep/change-bus.ts';
import type { VpcepDeps } from './vpcep/deps.ts';
import { vpcepJobs } from './vpcep/jobs.ts';
import { syncPublicServices } from './vpcep/services/bootstrap.ts';
import { hostRangesOf } from './vpc/host-ranges.ts';

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where to print what a person starting the server should read (the demo login). */
  announce?: (text: string) => void;
}

export interface Running {
  /** The HTTP server: the whole API with role `api`, otherwise only `GET /metrics`. */
  app: App | FastifyInstance;
  store: Store;
  /** `http://host:port` (`https://` with `tls`) the HTTP server listens on. */
  url: string;
  /** `http://host:port/metrics`: on the HTTP server, or on `metrics.listen` when configured. */
  metricsUrl: string;
  roles: readonly Role[];
  demo: DemoAccount | undefined;
  changes: ChangeBus;
  jobs: JobWorker | undefined;
  dataplane: Dataplane | undefined;
  metrics: Metrics;
  /** What GET /readyz reports. */
  readiness: Readiness;
  /** The declared test bed (undefined when the configuration declares none, or without role `api`). */
  testbed: Testbed | undefined;
  close(): Promise<void>;
}

type Logger = FastifyServerOptions['logger'];

/**
 * Processes sharing a SQLite file: another process's transaction holds the write
 * lock at most as long as a job handler runs (cut off at jobs.handler_timeout_ms,
 * then rolled back). A write here waits that long plus this margin (the claim
 * before the handler, the rollback after it) before SQLITE_BUSY, so nodes with
 * the same configuration never fail on each other's jobs (docs/operations.md).
 */
const SQLITE_LOCK_WAIT_MARGIN_MS = 2000;

/**
 * The composition root: opens the store, brings accounts up to date, builds and
 * starts the components of the configured roles in dependency order, and closes
 * them in reverse.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  const roles = config.roles;
  const logger = opts.logger ?? false;
  // Before anything else: a bad key file must not leave a half-started node behind.
  const tls = readTlsFiles(config.tls);
  const store = await openStore(config.database, {
    poolSize: config.postgres.pool_size,
    jobsPoolSize: config.postgres.jobs_pool_size,
    statementTimeoutMs: config.postgres.statement_timeout_ms,
    lockTimeoutMs: config.postgres.lock_timeout_ms,
    sqliteBusyTimeoutMs:
      (config.jobs.handler_timeout_ms ?? DEFAULT_HANDLER_TIMEOUT_MS) + SQLITE_LOCK_WAIT_MARGIN_MS,
  });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const metrics = new Metrics({ ownListener: config.metrics.listen !== undefined });
    metrics.addSource(() => renderStoreMetrics(store.statementsRun()));
    const changes = new ChangeBus();
    // Nodes sharing PostgreSQL tell each other about changes; SQLite is one node's.
    let dataplane: Dataplane | undefined;
    let jobs: JobWorker | undefined;
    let testbed: Testbed | undefined;
    const logTo: { current?: FastifyBaseLogger } = {};
    const readiness = nodeReadiness(config, store, logTo, {
      jobs: () => jobs,
      dataplane: () => dataplane,
      testbed: () => testbed,
    });
    // Cached permissions, keys and users are dropped on every IAM change: at once on
    // this node, by notification on the others, and by the change counter at worst.
    const iamCaches: { invalidate(): void }[] = [];
    const iamChanged = () => {
      for (const c of iamCaches) c.invalidate();
    };
    const feed =
      store.dialect === 'postgres'
        ? new PgChangeFeed({
            url: config.database,
            db: store.db,
            onChange: (change) => changes.publish(change),
            onIdentityChange: iamChanged,
            onResubscribed: () => {
              iamChanged();
              void dataplane?.controller.resync(true);
            },
            // The feed exists before the HTTP server whose logger it uses.
            log: { warn: (obj, msg) => logTo.current?.warn(obj, msg) },
          })
        : undefined;
    if (feed) closers.push(() => feed.close());
    // The worker needs the handlers and the handlers need to wake the worker:
    // the wake function is bound once both exist.
    let wake = (_at?: number) => {};
    const vpcep: VpcepDeps = {
      db: store.db,
      dialect: store.dialect,
      clock,
      config,
      wakeJobs: (at) => wake(at),
      notifyChange: (change) => {
        changes.publish(change);
        feed?.publish(change);
      },
      dataplane: () => dataplane,
    };
    let demo: DemoAccount | undefined;
    // Logged once the logger exists, with the store's own.
    const fileWarnings = [...store.warnings];
    let app: App | FastifyInstance;
    if (roles.includes('api')) {
      // All of it under one lock, so nodes starting together on one database neither
      // race to insert the same rows nor both find the store empty (two demo accounts).
      const seeded = await withSeedingLock(store.db, store.dialect, async (trx) => {
        const tokenSecret = await new IdentityRepository(trx).ensureSetting(
          'token_secret',
          TokenCodec.newSecret(),
        );
        await seedAccounts(trx, config.accounts, config.region, clock, hostRangesOf(config.dataplane));
        const demo =
          config.demo_account && config.accounts.length === 0
            ? await ensureDemoAccount(trx, config.region, clock, dataDirOf(config))
            : undefined;
        return { tokenSecret, demo, publicServices: await syncPublicServices(vpcep, trx) };
      });
      demo = seeded.demo;
      if (demo) {
        const saved = saveDemoAccount(demo, store.dataDir);
        if (!saved.written) demo = { ...demo, credentialsFile: undefined };
        fileWarnings.push(...saved.warnings);
      }
      for (const id of seeded.publicServices) vpcep.notifyChange({ kind: 'service', id });
      const identity = new IdentityRepository(store.db);
      const tokens = new TokenCodec(seeded.tokenSecret);
      const authenticator = new Authenticator(identity, tokens, clock, {
        maxSkewMs: config.signature_max_skew_seconds * 1000,
      });
      const authorizer = new Authorizer(async (domainId, userId, projectId) => {
        const loaded = await loadPermissions(store.db, domainId, userId, projectId);
        return loaded?.set;
      });
      iamCaches.push(authenticator, authorizer);
      const identityChanged = () => {
        iamChanged();
        feed?.publishIdentityChange();
      };
      app = await buildApp(
        { config, store, clock, identity, authenticator, authorizer, tokens, vpcep, identityChanged },
        { logger, metrics, readiness, tls },
      );
      closers.push(() => app.close());
      const watch = new IamChangeWatch({
        db: store.db,
        intervalMs: config.iam.sync_ms,
        onChange: iamChanged,
        log: { warn: (obj, msg) => logTo.current?.warn(obj, msg) },
      });
      await watch.start();
      closers.push(() => watch.close());
      // The feed also carries IAM changes to API nodes, not only to data-plane nodes.
      if (!hasDataplaneRole(roles)) await feed?.listen();
      testbed = await prepareTestbed({
        deps: vpcep,
        accounts: config.accounts,
        log: app.log.child({ component: 'testbed' }),
        intervalMs: config.jobs.poll_ms,
      });
      const started = testbed;
      if (started) closers.push(() => started.close());
    } else {
      app = buildOpsApp({ logger, metrics, readiness, instrument: true, tls });
      closers.push(() => app.close());
    }
    logTo.current = app.log;
    for (const w of fileWarnings) app.log.warn({ path: w.path }, w.message);

    // The data plane starts before the API listens, so what the store already
    // says carries traffic by the time the first request can change it.
    if (hasDataplaneRole(roles)) {
      // Listening first: a change another node makes while the first full read runs is
      // then hinted (and re-read), not left for the next periodic pass.
      await feed?.listen();
      dataplane = await startDataplane({
        config,
        roles,
        db: store.db,
        subscribe: (listener) => changes.subscribe(listener),
        log: app.log.child({ component: 'dataplane' }),
      });
      const dp = dataplane;
      // Right after the store in the list, so it closes after the HTTP server (whose
      // in-flight requests may still publish changes) and just before the store.
      closers.splice(1, 0, () => dp.close());
      metrics.addSource(async () => {
        // The workers' counts up to this scrape, not up to their last periodic report.
        await dp.forwarding?.refresh();
        return renderDataplaneMetrics(dp);
      });
    }

    if (roles.includes('jobs')) {
      const registry = vpcepJobs(vpcep);
      const worker = new JobWorker({
        // Its own pool on PostgreSQL: jobs blocked on locks leave the API its connections.
        db: store.jobsDb,
        dialect: store.dialect,
        clock,
        pollMs: config.jobs.poll_ms,
        leaseMs: config.jobs.lease_ms,
        maxAttempts: config.jobs.max_attempts,
        handlerTimeoutMs: config.jobs.handler_timeout_ms,
        handlers: registry.handlers,
        onGiveUp: registry.onGiveUp,
        log: app.log,
      });
      wake = (at) => worker.wake(at);
      // Jobs start after the API listens and stop before it closes (closers run in reverse).
      closers.push(() => worker.close());
      jobs = worker;
    }

    // A node without the API serves nothing but /metrics: on metrics.listen when set.
    const apiRole = roles.includes('api');
    const url = await listenOn(app, apiRole ? config.listen : (config.metrics.listen ?? config.listen), tls);
    let metricsUrl = `${url}/metrics`;
    if (apiRole && config.metrics.listen !== undefined) {
      // The series name every tenant's endpoints: operators keep them off the tenant-facing address.
      const metricsApp = buildOpsApp({ logger, metrics, readiness, instrument: false });
      closers.push(() => metricsApp.close());
      metricsUrl = `${await listenOn(metricsApp, config.metrics.listen, undefined)}/metrics`;
    }
    jobs?.start();
    testbed?.run();
    if (demo && opts.announce) opts.announce(describeDemo(demo, url, config.region));
    return {
      app,
      store,
      url,
      metricsUrl,
      roles,
      demo,
      changes,
      jobs,
      dataplane,
      metrics,
      readiness,
      testbed,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Listens on `listen` (HOST:PORT) and returns the `http://host:port` (`https://` with TLS) it is bound to. */
async function listenOn(app: FastifyInstance, listen: string, tls: TlsFiles | undefined): Promise<string> {
  const { host, port } = parseListen(listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}

/** The readiness checks of this node's roles; the components are read when a probe comes. */
function nodeReadiness(
  config: Config,
  store: Store,
  logTo: { current?: FastifyBaseLogger },
  parts: {
    jobs: () => JobWorker | undefined;
    dataplane: () => Dataplane | undefined;
    testbed: () => Testbed | undefined;
  },
): Readiness {
  const log = {
    info: (obj: object, msg?: string) => logTo.current?.info(obj, msg),
    warn: (obj: object, msg?: string) => logTo.current?.warn(obj, msg),
  };
  const declared = config.roles.includes('api') && declaresTestbed(config.accounts);
  const checks = nodeChecks({
    roles: config.roles,
    db: store.db,
    jobs: parts.jobs,
    dataplane: parts.dataplane,
    extra: declared ? [testbedCheck(parts.testbed)] : [],
    log,
  });
  return new Readiness(checks, { log });
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
    demo.credentialsFile
      ? `  also kept in     : ${dirname(demo.credentialsFile)} (vpcep credentials prints it again)`
      : '',
    `  endpoint         : ${url}   region: ${region}`,
    '',
  ].join('\n');
}
