// Declarative test beds: endpoint services (with whitelists) and endpoints
// declared in the configuration are created at start through the API's own
// operations, connected (accepted for the provider when declared so), created
// once and left alone afterwards: a restart duplicates nothing and brings back
// nothing a user deleted. A declaration that cannot be carried out stops the
// start, naming it, before anything is created.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { freshDatabase, testDialects, type TestDatabase, type TestDialect } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import type { TestAccount, TestServerOptions } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import { startLoggedServer, type LoggedServer } from '../ops/support.ts';

type Body = Record<string, unknown>;
type Extras = NonNullable<TestServerOptions['accountExtras']>;

const PROVIDER_VPCS: Config['accounts'][number]['vpcs'] = [
  {
    name: 'tb-vpc-p',
    cidr: '127.121.0.0/16',
    subnets: [
      {
        name: 'tb-sn-p',
        cidr: '127.121.0.0/24',
        ports: [{ ip: '127.121.0.10', device_owner: 'compute:az1', name: 'tb-backend' }],
      },
    ],
  },
];
const CONSUMER_VPCS: Config['accounts'][number]['vpcs'] = [
  { name: 'tb-vpc-c', cidr: '127.122.0.0/16', subnets: [{ name: 'tb-sn-c', cidr: '127.122.0.0/24' }] },
];

/** The README's topology: a service on the backend port, whitelisting the consumer, and its endpoint. */
function testbed(
  service: Partial<NonNullable<Config['accounts'][number]['services']>[number]> = {},
  endpoint: Partial<NonNullable<Config['accounts'][number]['endpoints']>[number]> = {},
): Extras {
  return {
    provider: {
      vpcs: PROVIDER_VPCS,
      services: [
        {
          service_name: 'web',
          port_name: 'tb-backend',
          ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
          approval_enabled: true,
          permissions: ['consumer'],
          ...service,
        },
      ],
    },
    consumer: {
      vpcs: CONSUMER_VPCS,
      endpoints: [
        {
          name: 'web-endpoint',
          endpoint_service_name: 'provider/web',
          vpc_name: 'tb-vpc-c',
          subnet_name: 'tb-sn-c',
          whitelist: ['127.122.0.0/24'],
          enable_whitelist: true,
          accept: true,
          ...endpoint,
        },
      ],
    },
  };
}

function readyz(base: string): Promise<RawResponse> {
  return rawRequest({ method: 'GET', url: `${base}/readyz` });
}

async function whenReady(server: LoggedServer): Promise<RawResponse> {
  return waitUntil(
    () => readyz(server.url),
    (r) => r.status === 200,
    'the test bed to be ready',
    30_000,
  );
}

async function services(account: TestAccount): Promise<Body[]> {
  return (await account.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoint-services' }))
    .endpoint_services as Body[];
}

async function endpoints(account: TestAccount): Promise<Body[]> {
  return (await account.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' })).endpoints as Body[];
}

async function start(dialect: TestDialect, database: TestDatabase, extras: Extras): Promise<LoggedServer> {
  return startLoggedServer(dialect, { database, accountExtras: extras });
}

/** The error a start with `extras` fails with (a start that succeeds is closed, and fails the test). */
async function refusal(
  dialect: TestDialect,
  database: TestDatabase,
  extras: Extras,
  what: string,
): Promise<ConfigError> {
  let server: LoggedServer;
  try {
    server = await start(dialect, database, extras);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `${what}: ${String(err)}`);
    assert.ok(!err.message.includes('\u0000'), `${what}: the message holds no raw NUL`);
    return err;
  }
  await server.close();
  assert.fail(`${what}: the server started`);
}

for (const dialect of testDialects()) {
  describe(`declarative test beds (${dialect})`, () => {
    test('services with whitelists and accepted endpoints at start; once only, across restarts', async () => {
      const database = await freshDatabase(dialect);
      try {
        let serviceId: string;
        let endpointId: string;
        const first = await start(dialect, database, testbed());
        try {
          const ready = await whenReady(first);
          assert.ok(
            (ready.json as { checks: { name: string }[] }).checks.some((c) => c.name === 'testbed'),
            'the test bed is one of the readiness checks',
          );
          const [service, ...moreServices] = await services(first.provider);
          assert.deepEqual(moreServices, []);
          assert.ok(service);
          serviceId = String(service.id);
          assert.equal(service.status, 'available');
          assert.equal(service.approval_enabled, true);
          assert.match(String(service.service_name), /\.web\./);
          const permissions = (
            await first.provider.sdk({
              method: 'GET',
              url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/permissions`,
            })
          ).permissions as Body[];
          assert.deepEqual(
            permissions.map((p) => p.permission),
            [`iam:domain::${first.consumer.domainId}`],
          );
          const [endpoint, ...moreEndpoints] = await endpoints(first.consumer);
          assert.deepEqual(moreEndpoints, []);
          assert.ok(endpoint);
          endpointId = String(endpoint.id);
          assert.equal(endpoint.endpoint_service_id, serviceId);
          assert.equal(endpoint.status, 'accepted');
          assert.deepEqual(endpoint.whitelist, ['127.122.0.0/24']);
          assert.equal(endpoint.enable_whitelist, true);
          assert.ok(first.log.lines.some((l) => l.msg === 'test bed ready'));
        } finally {
          await first.close();
        }

        // A restart with the same file: the same two resources, nothing new.
        const second = await start(dialect, database, testbed());
        try {
          await whenReady(second);
          assert.deepEqual(
            (await services(second.provider)).map((s) => s.id),
            [serviceId],
          );
          assert.deepEqual(
            (await endpoints(second.consumer)).map((e) => [e.id, e.status]),
            [[endpointId, 'accepted']],
          );
          assert.ok(!second.log.lines.some((l) => /test bed: .* created/.test(l.msg)));
          // A user deletes the endpoint: the test bed leaves it deleted.
          await second.consumer.sdk({
            method: 'DELETE',
            url: `/v1/{project_id}/vpc-endpoints/${endpointId}`,
          });
          await waitUntil(
            () => endpoints(second.consumer),
            (list) => list.length === 0,
            'the endpoint to be deleted',
          );
        } finally {
          await second.close();
        }

        const third = await start(dialect, database, testbed());
        try {
          await whenReady(third);
          assert.deepEqual(await endpoints(third.consumer), [], 'a deleted endpoint is not brought back');
          assert.equal((await services(third.provider)).length, 1);
        } finally {
          await third.close();
        }
      } finally {
        await database.drop();
      }
    });

    test('a declaration that cannot be carried out stops the start, naming it, and creates nothing', async () => {
      const database = await freshDatabase(dialect);
      try {
        const refused: [string, Extras, RegExp][] = [
          [
            'unknown account in the whitelist',
            testbed({ permissions: ['nobody'] }),
            /accounts\[0\]\.services\[0\] \(service 'web' of account 'provider'\): account 'nobody' does not exist/,
          ],
          [
            'a consumer the whitelist leaves out',
            testbed({ permissions: [] }),
            /accounts\[1\]\.endpoints\[0\] .*does not let account 'consumer' connect/,
          ],
          ['no such port', testbed({ port_name: 'missing' }), /no port of its project is named 'missing'/],
          [
            'both port_id and port_name',
            testbed({ port_id: 'f'.repeat(32) }),
            /give exactly one of port_id and port_name/,
          ],
          [
            'an undeclared service',
            testbed({}, { endpoint_service_name: 'provider/other' }),
            /no declared service 'provider\/other'/,
          ],
          ['a bad whitelist entry', testbed({}, { whitelist: ['10.0.0.0/99'] }), /EndPoint\.\d{4}/],
          [
            "accepting for a service named by id (anyone's)",
            testbed({}, { endpoint_service_name: undefined, endpoint_service_id: 'f'.repeat(32) }),
            /accounts\[1\]\.endpoints\[0\].*accept: true needs a service declared in this file/,
          ],
          [
            'a port number out of range',
            testbed({ ports: [{ client_port: 0, server_port: 80 }] }),
            /EndPoint\.\d{4}/,
          ],
          ['a bad tcp_proxy', testbed({ tcp_proxy: 'sometimes' }), /tcp_proxy must be one of/],
          [
            'a NUL in a service name',
            { provider: testbed({ service_name: 'we\u0000b' }).provider, consumer: { vpcs: CONSUMER_VPCS } },
            /accounts\[0\]\.services\[0\] \(service 'we\\x00b' .*NUL character/,
          ],
          [
            'a service name the API refuses',
            { provider: testbed({ service_name: 'web site!' }).provider, consumer: { vpcs: CONSUMER_VPCS } },
            /accounts\[0\]\.services\[0\].*: EndPoint\.\d{4}: /,
          ],
          [
            'a NUL in a referenced name',
            testbed({}, { vpc_name: 'tb-vpc-c\u0000' }),
            /accounts\[1\]\.endpoints\[0\].*NUL character/,
          ],
          [
            'a NUL in a whitelisted account',
            testbed({ permissions: ['consumer\u0000'] }),
            /accounts\[0\]\.services\[0\].*NUL character/,
          ],
          [
            'a lone surrogate in a tag',
            testbed({ tags: [{ key: 'k', value: '\ud800' }] }),
            /accounts\[0\]\.services\[0\].*unpaired surrogate/,
          ],
          [
            'a NUL in a description',
            testbed({ description: 'a\u0000b' }),
            /accounts\[0\]\.services\[0\].*NUL character/,
          ],
          [
            'the same service twice',
            {
              ...testbed(),
              provider: {
                vpcs: PROVIDER_VPCS,
                services: [...(testbed().provider?.services ?? []), ...(testbed().provider?.services ?? [])],
              },
            },
            /accounts\[0\]\.services\[1\].*declared twice/,
          ],
        ];
        for (const [what, extras, message] of refused) {
          const err = await refusal(dialect, database, extras, what);
          assert.match(err.message, /^test bed: /, what);
          assert.match(err.message, message, what);
        }
        // Nothing was created by any of them.
        const clean = await start(dialect, database, { provider: { vpcs: PROVIDER_VPCS } });
        try {
          assert.deepEqual(await services(clean.provider), []);
          assert.deepEqual(await endpoints(clean.consumer), []);
        } finally {
          await clean.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}

describe('test-bed keys of the configuration file', () => {
  test('the schema refuses huge strings, bad types and unknown keys, naming the key', async () => {
    const database = await freshDatabase('sqlite');
    try {
      const refused: [string, Extras, RegExp][] = [
        ['a 100k name', testbed({ service_name: 'x'.repeat(100_000) }), /services\[0\]\.service_name/],
        ['a huge description', testbed({ description: 'x'.repeat(100_000) }), /services\[0\]\.description/],
        [
          'a port as text',
          testbed({ ports: [{ client_port: '80' as unknown as number, server_port: 80 }] }),
          /client_port/,
        ],
        ['an unknown key', testbed({ colour: 'red' } as Body), /colour/],
        ['accept as text', testbed({}, { accept: 'yes' as unknown as boolean }), /endpoints\[0\]\.accept/],
      ];
      for (const [what, extras, message] of refused) {
        const err = await refusal('sqlite', database, extras, what);
        assert.match(err.message, /^invalid configuration/, what);
        assert.match(err.message, message, what);
        assert.ok(err.message.length < 2000, `${what}: the message does not echo the value`);
      }
    } finally {
      await database.drop();
    }
  });
});
