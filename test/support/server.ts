import assert from 'node:assert/strict';
import type { Config } from '../../src/config/schema.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock, type Clock } from '../../src/context/clock.ts';
import { startServer, type Running } from '../../src/main.ts';
import type { VpcepChange, VpcepDeps } from '../../src/vpcep/deps.ts';
import { freshDatabase, type TestDialect } from './db.ts';
import { rawRequest, type RawResponse } from './http.ts';
import { sdkClient, type SdkCall, type SdkResult } from './sdk.ts';

// Starts the real server on an ephemeral loopback port with two accounts, a
// service provider and a consumer, each with a password user and an AK/SK pair.

export interface TestAccount {
  domainName: string;
  domainId: string;
  projectId: string;
  projectName: string;
  user: string;
  password: string;
  ak: string;
  sk: string;
  /** Calls the server through the official SDK core, signed with this account's keys. */
  sdk: (call: SdkCall) => Promise<SdkResult>;
}

export interface TestServer {
  url: string;
  config: Config;
  running: Running;
  provider: TestAccount;
  consumer: TestAccount;
  close(): Promise<void>;
}

export const ACCOUNTS = {
  provider: {
    name: 'provider',
    id: '5fc973eea581490997e82ea11a1d0101',
    project: { id: '6e9dfd51d1124e8d8498dce894923a0d', name: 'tr-west-1' },
    user: 'admin',
    password: 'provider-secret',
    ak: 'PROVIDERAK0123456789',
    sk: 'PROVIDERSK0123456789abcdefghijklmnopqrstu',
  },
  consumer: {
    name: 'consumer',
    id: '7a1c3f0e2b4d4c6e8f0a1b2c3d4e5f60',
    project: { id: '0c1d2e3f40514263748596a7b8c9d0e1', name: 'tr-west-1' },
    user: 'admin',
    password: 'consumer-secret',
    ak: 'CONSUMERAK0123456789',
    sk: 'CONSUMERSK0123456789abcdefghijklmnopqrstu',
  },
} as const;

export interface TestServerOptions {
  dialect?: TestDialect;
  overrides?: Partial<Config>;
  /** The server's time source (default: the system clock), for tests that move time. */
  clock?: Clock;
  /** Extra per-account configuration (e.g. VPCs), merged into the two accounts. */
  accountExtras?: {
    provider?: Partial<Config['accounts'][number]>;
    consumer?: Partial<Config['accounts'][number]>;
  };
}

/**
 * The configuration a test server runs on: the two accounts (with `extras`
 * merged in), zero lifecycle delays, ephemeral ports, and `overrides` last.
 */
export function testConfig(
  databaseUrl: string,
  opts: Pick<TestServerOptions, 'overrides' | 'accountExtras'> = {},
): Config {
  const accounts = (['provider', 'consumer'] as const).map((k) => ({
    name: ACCOUNTS[k].name,
    id: ACCOUNTS[k].id,
    projects: [{ ...ACCOUNTS[k].project }],
    users: [
      {
        name: ACCOUNTS[k].user,
        password: ACCOUNTS[k].password,
        access_keys: [{ ak: ACCOUNTS[k].ak, sk: ACCOUNTS[k].sk }],
      },
    ],
    ...(opts.accountExtras?.[k] ?? {}),
  }));
  return loadConfig({
    env: {},
    overrides: {
      listen: '127.0.0.1:0',
      database: databaseUrl,
      log_level: 'silent',
      lifecycle: {
        endpoint_service_create: 0,
        endpoint_service_delete: 0,
        endpoint_create: 0,
        endpoint_delete: 0,
      },
      jobs: { poll_ms: 20, lease_ms: 5000, max_attempts: 5 },
      // An ephemeral DNS port keeps test servers (and a developer's own vpcep) apart.
      dns: { zone: 'vpcep.local', listen: '127.0.0.1:0', ttl: 60 },
      accounts,
      ...opts.overrides,
    },
  });
}

/** One of the two test accounts, calling the server at `url`. */
export function testAccount(k: 'provider' | 'consumer', url: string): TestAccount {
  return {
    domainName: ACCOUNTS[k].name,
    domainId: ACCOUNTS[k].id,
    projectId: ACCOUNTS[k].project.id,
    projectName: ACCOUNTS[k].project.name,
    user: ACCOUNTS[k].user,
    password: ACCOUNTS[k].password,
    ak: ACCOUNTS[k].ak,
    sk: ACCOUNTS[k].sk,
    sdk: sdkClient(url, {
      ak: ACCOUNTS[k].ak,
      sk: ACCOUNTS[k].sk,
      projectId: ACCOUNTS[k].project.id,
    }),
  };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const db = await freshDatabase(opts.dialect ?? 'sqlite');
  let config: Config;
  let running: Running;
  try {
    // Inside the try: a configuration the test means to be refused must not leave the database behind.
    config = testConfig(db.url, opts);
    running = await startServer(config, opts.clock ? { clock: opts.clock } : {});
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    url: running.url,
    config,
    running,
    provider: testAccount('provider', running.url),
    consumer: testAccount('consumer', running.url),
    async close() {
      await running.close();
      await db.drop();
    },
  };
}

/** `POST /v3/auth/tokens` with the password of `user` in `account`, scoped to its project. */
export function passwordLogin(
  url: string,
  account: Pick<TestAccount, 'domainName' | 'projectId'>,
  user: string,
  password: string,
): Promise<RawResponse> {
  return rawRequest({
    method: 'POST',
    url: `${url}/v3/auth/tokens`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, password, domain: { name: account.domainName } } },
        },
        scope: { project: { id: account.projectId } },
      },
    }),
  });
}

/**
 * An X-Auth-Token from the password login of `account`, scoped to its project:
 * for raw requests the SDK cannot make (it always serialises bodies, so it
 * cannot send broken JSON).
 */
export async function passwordToken(url: string, account: TestAccount): Promise<string> {
  const res = await passwordLogin(url, account, account.user, account.password);
  assert.equal(res.status, 201, res.text);
  return String(res.headers['x-subject-token']);
}

/**
 * The VPCEP module dependencies over a running test server's store, for tests
 * that call handlers directly: jobs are not woken, changes go to `notifyChange`.
 */
export function vpcepDepsOf(
  server: TestServer,
  notifyChange: (change: VpcepChange) => void = () => undefined,
): VpcepDeps {
  const { store } = server.running;
  return {
    db: store.db,
    dialect: store.dialect,
    clock: systemClock,
    config: server.config,
    wakeJobs: () => undefined,
    notifyChange,
  };
}
