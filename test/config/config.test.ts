import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { dataDirOf } from '../../src/config/data-dir.ts';
import { ConfigError, loadConfig, parseListen } from '../../src/config/load.ts';

// One folder for every file of this suite, removed when it ends however it ends.
const dir = mkdtempSync(join(tmpdir(), 'vpcep-cfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function yamlFile(text: string): string {
  const file = join(dir, `vpcep-${++files}.yaml`);
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

test('embedded defaults need no file', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.listen, '127.0.0.1:8080');
  assert.equal(c.database, 'sqlite:.vpcep/vpcep.db');
  assert.equal(c.region, 'tr-west-1');
  assert.deepEqual(c.quotas, { endpoint_service: 20, endpoint: 50 });
  assert.equal(c.lifecycle.endpoint_create, 1000);
});

test('the example file of the issue loads, and env overrides it', () => {
  const file = yamlFile(`
region: tr-west-1
listen: 127.0.0.1:9090
database: sqlite:/tmp/x.db
lifecycle:
  endpoint_service_create: 0
  endpoint_service_delete: 0
  endpoint_create: 0
  endpoint_delete: 0
quotas: { endpoint_service: 3, endpoint: 4 }
accounts:
  - name: provider
    id: 5fc973eea581490997e82ea11a1d0101
    projects: [{ id: 6e9dfd51d1124e8d8498dce894923a0d, name: tr-west-1 }]
    users:
      - name: admin
        password: change-me
        access_keys: [{ ak: EXAMPLEAK0123456789AB, sk: EXAMPLESK0123456789abcdefghijklmnopqrstuv }]
`);
  const c = loadConfig({ file, env: {} });
  assert.equal(c.listen, '127.0.0.1:9090');
  assert.equal(c.quotas.endpoint, 4);
  assert.equal(c.accounts[0]?.users?.[0]?.access_keys?.[0]?.ak, 'EXAMPLEAK0123456789AB');
  // Partial objects merge with the defaults.
  assert.equal(c.jobs.poll_ms, 200);
  const env = loadConfig({
    env: {
      VPCEP_CONFIG: file,
      VPCEP_LISTEN: '127.0.0.2:7000',
      VPCEP_DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
    },
  });
  assert.equal(env.listen, '127.0.0.2:7000');
  assert.equal(env.database, 'postgres://u:p@127.0.0.1/db');
  assert.equal(env.quotas.endpoint_service, 3);
});

test('a bad configuration names the wrong key', () => {
  assert.match(
    errorOf(() => loadConfig({ file: yamlFile('quotas: { endpoint: -1 }'), env: {} })),
    /'quotas\.endpoint'/,
  );
  assert.match(
    errorOf(() => loadConfig({ file: yamlFile('lisen: 1'), env: {} })),
    /'lisen' is not a known key/,
  );
  assert.match(
    errorOf(() => loadConfig({ file: yamlFile('lifecycle: { endpoint_create: "fast" }'), env: {} })),
    /'lifecycle\.endpoint_create' must be integer/,
  );
  assert.match(
    errorOf(() =>
      loadConfig({ file: yamlFile('accounts: [{ name: a, users: [{ name: u, pasword: x }] }]'), env: {} }),
    ),
    /'accounts\[0\]\.users\[0\]\.pasword' is not a known key/,
  );
  assert.match(
    errorOf(() => loadConfig({ env: { VPCEP_LISTEN: 'nowhere' } })),
    /'listen'/,
  );
  assert.match(
    errorOf(() => loadConfig({ env: { VPCEP_DATABASE_URL: 'mysql://x' } })),
    /'database'/,
  );
  assert.match(
    errorOf(() => loadConfig({ file: yamlFile('region: [unclosed'), env: {} })),
    /not valid YAML/,
  );
  assert.match(
    errorOf(() => loadConfig({ file: '/nonexistent/vpcep.yaml', env: {} })),
    /cannot read/,
  );
});

test('listen addresses', () => {
  assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseListen(':0'), { host: '0.0.0.0', port: 0 });
  assert.throws(() => parseListen('127.0.0.1:70000'), ConfigError);
});

test('data-plane defaults: every role, 127.0.0.0/8 bindable, 3000 connections, DNS on 127.0.0.1:5353', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.roles, ['api', 'jobs', 'dataplane', 'dns']);
  assert.deepEqual(c.dataplane.bindable_cidrs, ['127.0.0.0/8']);
  assert.equal(c.dataplane.max_connections_per_endpoint, 3000);
  assert.equal(c.dns.listen, '127.0.0.1:5353');
});

test('roles and DNS address come from the file, the environment or flags; bad values name the key', () => {
  const env = loadConfig({ env: { VPCEP_ROLES: 'dataplane, dns', VPCEP_DNS_LISTEN: '127.0.0.2:53' } });
  assert.deepEqual(env.roles, ['dataplane', 'dns']);
  assert.equal(env.dns.listen, '127.0.0.2:53');
  assert.equal(env.dns.zone, 'vpcep.local', 'the rest of dns keeps its defaults');
  assert.match(
    errorOf(() => loadConfig({ env: { VPCEP_ROLES: 'api,web' } })),
    /roles/,
  );
  assert.match(
    errorOf(() => loadConfig({ env: {}, overrides: { roles: [] } })),
    /roles/,
  );
  assert.match(
    errorOf(() => loadConfig({ env: { VPCEP_DNS_LISTEN: 'nowhere' } })),
    /dns\.listen/,
  );
  const file = yamlFile('dataplane:\n  bindable_cidrs: [127.0.0.0/8, 10.0.0.0/33]\n');
  assert.match(
    errorOf(() => loadConfig({ file, env: {} })),
    /dataplane\.bindable_cidrs\[1\]/,
  );
  const limit = yamlFile('dataplane:\n  max_connections_per_endpoint: 0\n');
  assert.match(
    errorOf(() => loadConfig({ file: limit, env: {} })),
    /max_connections_per_endpoint/,
  );
});

test('operations defaults: handler timeout below the lease, PostgreSQL pools and timeouts, /metrics on the API', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.jobs.handler_timeout_ms, 10_000);
  assert.ok((c.jobs.handler_timeout_ms ?? Infinity) < c.jobs.lease_ms);
  assert.deepEqual(c.postgres, {
    pool_size: 10,
    jobs_pool_size: 2,
    statement_timeout_ms: 30_000,
    lock_timeout_ms: 10_000,
  });
  assert.equal(c.metrics.listen, undefined);
  // A file that sets some keys of a block keeps the defaults of the others.
  const partial = loadConfig({
    file: yamlFile('postgres: { pool_size: 4 }\njobs: { poll_ms: 50 }\n'),
    env: {},
  });
  assert.equal(partial.postgres.pool_size, 4);
  assert.equal(partial.postgres.lock_timeout_ms, 10_000);
  assert.equal(partial.jobs.handler_timeout_ms, 10_000);
});

test('operations keys are checked and name the key', () => {
  for (const [yaml, key] of [
    ['postgres: { pool_size: 0 }', /'postgres\.pool_size'/],
    ['postgres: { jobs_pool_size: 1.5 }', /'postgres\.jobs_pool_size'/],
    ['postgres: { statement_timeout_ms: -1 }', /'postgres\.statement_timeout_ms'/],
    ['postgres: { lock_timeout_ms: "10s" }', /'postgres\.lock_timeout_ms'/],
    ['postgres: { poolsize: 3 }', /'postgres\.poolsize' is not a known key/],
    ['jobs: { handler_timeout_ms: 0 }', /'jobs\.handler_timeout_ms'/],
    ['metrics: { listen: nowhere }', /'metrics\.listen'/],
    ['metrics: { port: 9464 }', /'metrics\.port' is not a known key/],
  ] as const) {
    assert.match(
      errorOf(() => loadConfig({ file: yamlFile(yaml), env: {} })),
      key,
      yaml,
    );
  }
  const env = loadConfig({ env: { VPCEP_METRICS_LISTEN: '127.0.0.1:9464' } });
  assert.equal(env.metrics.listen, '127.0.0.1:9464');
});

test('a password in a database URL never appears in a configuration error', () => {
  const secret = 'hunter2-but-longer';
  const messages = [
    errorOf(() => loadConfig({ env: { VPCEP_DATABASE_URL: `mysql://ops:${secret}@db.internal/vpcep` } })),
    errorOf(() =>
      loadConfig({ env: { VPCEP_DATABASE_URL: `postgres://ops:${secret}@db.internal:99999/vpcep` } }),
    ),
    errorOf(() =>
      loadConfig({
        file: yamlFile(`database: postgres://ops:${secret}@db.internal/vpcep\n  x: 1\n`),
        env: {},
      }),
    ),
    // A password holding '@' and '/' is still masked as a whole.
    errorOf(() =>
      loadConfig({ env: { VPCEP_DATABASE_URL: `mysql://ops:a@b/c${secret}@db.internal/vpcep` } }),
    ),
  ];
  for (const m of messages) {
    assert.ok(!m.includes(secret), m);
    assert.match(m, /ops:\*\*\*@db\.internal/);
  }
});

test('errors list the allowed keys and values', () => {
  const unknown = errorOf(() => loadConfig({ env: {}, file: yamlFile('listn: 127.0.0.1:1\n') }));
  assert.match(
    unknown,
    /config key 'listn' is not a known key; the known keys are region, listen, database, log_level, log_format, tls,/,
  );
  const nested = errorOf(() =>
    loadConfig({ env: {}, file: yamlFile('dns: { zone: x, listen: 127.0.0.1:53, tll: 1 }\n') }),
  );
  assert.match(nested, /'dns\.tll' is not a known key; the known keys of 'dns' are zone, listen, ttl/);
  const level = errorOf(() => loadConfig({ env: { VPCEP_LOG_LEVEL: 'verbose' } }));
  assert.match(level, /'log_level' must be one of fatal, error, warn, info, debug, trace, silent/);
  const format = errorOf(() => loadConfig({ env: { VPCEP_LOG_FORMAT: 'text' } }));
  assert.match(format, /'log_format' must be one of auto, json, pretty/);
  const tls = errorOf(() => loadConfig({ env: {}, file: yamlFile('tls: { cert_file: a.crt }\n') }));
  assert.match(tls, /tls.*key_file/);
  // Several problems: one line each, no line twice.
  const both = errorOf(() => loadConfig({ env: { VPCEP_LOG_LEVEL: 'x', VPCEP_LOG_FORMAT: 'y' } }));
  assert.equal(both.split('\n').length, 3, both);
});

test('log settings come from the file, the environment or overrides, in that order', () => {
  const file = yamlFile('log_level: debug\nlog_format: json\n');
  assert.deepEqual(
    (({ log_level, log_format }) => ({ log_level, log_format }))(loadConfig({ env: {}, file })),
    { log_level: 'debug', log_format: 'json' },
  );
  const env = { VPCEP_LOG_LEVEL: 'warn', VPCEP_LOG_FORMAT: 'pretty' };
  const fromEnv = loadConfig({ env, file });
  assert.equal(fromEnv.log_level, 'warn');
  assert.equal(fromEnv.log_format, 'pretty');
  assert.equal(loadConfig({ env, file, overrides: { log_level: 'error' } }).log_level, 'error');
  assert.equal(loadConfig({ env: {} }).log_format, 'auto');
});

test('the data folder: data_dir, else the SQLite folder, else .vpcep; a control character is refused', () => {
  const sqlite = loadConfig({ env: { VPCEP_DATABASE_URL: 'sqlite:/srv/vpcep/db/vpcep.db' } });
  assert.equal(dataDirOf(sqlite), '/srv/vpcep/db');
  const pg = loadConfig({ env: { VPCEP_DATABASE_URL: 'postgres://u:p@db.internal/vpcep' } });
  assert.equal(dataDirOf(pg), resolve('.vpcep'));
  assert.equal(dataDirOf(loadConfig({ env: { VPCEP_DATABASE_URL: 'sqlite::memory:' } })), undefined);
  const set = loadConfig({
    env: { VPCEP_DATABASE_URL: 'postgres://u:p@db.internal/vpcep' },
    file: yamlFile('data_dir: state/vpcep\n'),
  });
  assert.equal(dataDirOf(set), resolve('state/vpcep'));
  for (const bad of ['"a\\u0000b"', '"line\\nbreak"', '""']) {
    assert.match(
      errorOf(() => loadConfig({ env: {}, file: yamlFile(`data_dir: ${bad}\n`) })),
      /config key 'data_dir'/,
    );
  }
});
