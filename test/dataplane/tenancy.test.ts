// Where the data plane may send a tenant's traffic, over real sockets: only to
// the IPv4 address of a live port of the service's VPC, inside the bindable
// ranges and on an address no other project claims, or to an operator's
// public-service target. A service's free-text `ip`, a host name, an address
// outside the bindable ranges and an address where two projects' subnets
// overlap (possible in stores written before the rule) are never dialled, and
// an endpoint on such an address is never bound.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { defaultConfig } from '../../src/config/defaults.ts';
import { attempt, connectTcp, freePort, roundTrip } from '../support/loopback.ts';
import type { Database } from '../../src/store/schema.ts';
import type { PortView, VpcView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
  type Network,
} from '../vpcep/endpoints.support.ts';
import { SERVICES } from '../vpcep/services.support.ts';

const CLIENT = '127.30.0.7';

/** A TCP server answering every chunk with `${tag}:` + the chunk, counting its connections. */
async function tagged(host: string, port: number, tag: string) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.on('data', (c: Buffer) => s.write(`${tag}:${c.toString()}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What answers on ip:port through the endpoint: the tagged echo, or the connection's error code. */
async function answer(ip: string, port: number): Promise<string> {
  try {
    const s = await connectTcp(ip, port, CLIENT, 1000);
    try {
      return (await roundTrip(s, Buffer.from('hi'), 1000)).toString();
    } catch {
      return 'no answer';
    } finally {
      s.destroy();
    }
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

const until = <T>(read: () => Promise<T>, done: (v: T) => boolean, what: string) =>
  waitUntil(read, done, what, 10_000, 25);

async function newPort(account: TestAccount, net: Network, ip: string): Promise<string> {
  const r = await account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/ports',
    data: {
      port: { network_id: net.subnetId, fixed_ips: [{ ip_address: ip }], device_owner: 'compute:az1' },
    },
  });
  return (r.port as PortView).id;
}

/** An interface service of the provider (on `portId`, else the network's backend NIC) the consumer may use. */
async function consumableService(
  server: TestServer,
  provider: Network,
  clientPort: number,
  serverPort: number,
  portId?: string,
): Promise<string> {
  const { id } = await createService(server, provider, {
    ...(portId !== undefined ? { portId } : {}),
    ports: [{ client_port: clientPort, server_port: serverPort, protocol: 'TCP' }],
  });
  await whitelistDomain(server, id, server.consumer.domainId);
  return id;
}

/** An endpoint of the consumer at `ip` in `net`, waited for until it is accepted. */
async function acceptedEndpoint(server: TestServer, net: Network, serviceId: string, ip: string) {
  const ep = await createEndpoint(server.consumer, {
    endpoint_service_id: serviceId,
    vpc_id: net.vpcId,
    subnet_id: net.subnetId,
    port_ip: ip,
  });
  assert.equal((await settled(server.consumer, String(ep.id))).status, 'accepted');
}

/** A subnet row written straight into the store, as an older version could have left it. */
async function insertSubnetRow(db: Kysely<Database>, projectId: string, vpcId: string, cidr: string) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db
    .insertInto('subnets')
    .values({
      id,
      project_id: projectId,
      vpc_id: vpcId,
      name: 'legacy',
      description: '',
      cidr,
      gateway_ip: cidr.replace(/\d+\/\d+$/, (m) => String(Number(m.split('/')[0]) + 1)),
      dhcp_enable: 1,
      primary_dns: null,
      secondary_dns: null,
      availability_zone: null,
      neutron_subnet_id: crypto.randomUUID(),
      status: 'ACTIVE',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

for (const dialect of testDialects()) {
  describe(`data plane targets of a tenant's service (${dialect})`, () => {
    let server: TestServer;
    let provider: Network;
    let consumer: Network;
    let port: number;
    const backends: { close(): Promise<void> }[] = [];
    /** The data plane's unbound-endpoint series: short enough to print when a wait times out. */
    const metrics = async () =>
      (await rawRequest({ method: 'GET', url: `${server.url}/metrics` })).text
        .split('\n')
        .filter((line) => line.startsWith('vpcep_dataplane_unbound_endpoints{'))
        .join('\n');
    const unbound = (reason: string, n: number) =>
      new RegExp(`^vpcep_dataplane_unbound_endpoints\\{reason="${reason}"\\} ${n}$`, 'm');

    /** A service of the provider on a new port at `backendIp`, and an accepted endpoint of the consumer to it. */
    async function serviceAndEndpoint(backendIp: string, clientPort: number, endpointIp: string) {
      const portId = await newPort(server.provider, provider, backendIp);
      const serviceId = await consumableService(server, provider, clientPort, port, portId);
      await acceptedEndpoint(server, consumer, serviceId, endpointIp);
      return { portId, serviceId };
    }

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        // A short full-read period: rows written straight into the store are noticed by it.
        overrides: { dataplane: { ...defaultConfig().dataplane, resync_ms: 200 } },
      });
      provider = await networkOf(server.provider, 'vpc-p');
      consumer = await networkOf(server.consumer, 'vpc-c');
      port = await freePort('127.0.0.1');
    });
    after(async () => {
      await server?.close();
      for (const b of backends) await b.close();
    });

    test("a service's ip cannot aim the endpoint at a name or at an address outside its port", async () => {
      const legit = await tagged('127.20.0.13', port, 'legit');
      const victim = await tagged('127.20.0.99', port, 'victim');
      const host = await tagged('127.0.0.1', port, 'host');
      backends.push(legit, victim, host);
      const { portId, serviceId } = await serviceAndEndpoint('127.20.0.13', 8080, '127.30.0.60');
      assert.equal(
        await until(
          () => answer('127.30.0.60', 8080),
          (a) => a === 'legit:hi',
          'the backend',
        ),
        'legit:hi',
      );

      // The attack: aim ip elsewhere and pull the backend port away. Through the API both
      // are refused; a store from before these rules may hold both, which direct writes
      // reproduce. Either way, traffic must go nowhere.
      const put = (data: Record<string, unknown>) =>
        server.provider.sdk({ method: 'PUT', url: `${SERVICES}/${serviceId}`, data });
      const outcome = (call: Promise<unknown>) =>
        call.then(
          () => 'accepted',
          (err: { errorCode?: string }) => err.errorCode ?? 'error',
        );
      const db = server.running.store.db;
      const refusals: string[] = [];
      for (const ip of ['127.20.0.99', 'localhost']) {
        refusals.push(await outcome(put({ ip })));
        refusals.push(
          await outcome(server.provider.sdk({ method: 'DELETE', url: `/v1/{project_id}/ports/${portId}` })),
        );
        await db.updateTable('endpoint_services').set({ ip }).where('id', '=', serviceId).execute();
        await db.deleteFrom('ports').where('id', '=', portId).execute();
        await put({ description: `ip ${ip}` });
        const now = await until(
          () => answer('127.30.0.60', 8080),
          // Past the moment the listener goes: while it closes, a connection is accepted and
          // then reset, or refused mid-handshake (ECONNRESET); what stays after is the answer.
          (a) => !['legit:hi', 'no answer', 'ECONNRESET'].includes(a),
          'the backend port to be gone',
        );
        assert.equal(now, 'ECONNREFUSED', `with ip ${ip}, nothing may answer`);
        assert.match(await metrics(), unbound('no_backend', 1));
      }
      assert.equal(victim.connections, 0, 'the address in ip was never dialled');
      assert.equal(host.connections, 0, 'the name in ip was never resolved and dialled');
      assert.deepEqual(refusals.slice(0, 2), ['EndPoint.3010', 'VPC.0401']);
      assert.deepEqual(refusals.slice(2), ['EndPoint.3010', 'VPC.0005'], 'the port is gone by then');
    });

    test('an address two projects claim is neither bound nor dialled (overlaps from older stores)', async () => {
      backends.push(await tagged('127.20.0.12', port, 'legit'));
      await serviceAndEndpoint('127.20.0.12', 8081, '127.30.0.65');
      const reach = (when: string) =>
        until(
          () => answer('127.30.0.65', 8081),
          (a) => a === 'legit:hi',
          `the backend ${when}`,
        );
      await reach('at first');
      /**
       * `account` also claims `cidr` (in a VPC of its own, as an older store may hold it):
       * the endpoint stops with `reason` and comes back once the claim is gone.
       */
      const contest = async (account: TestAccount, vpcCidr: string, cidr: string, reason: string) => {
        const vpc = (
          await account.sdk({
            method: 'POST',
            url: '/v1/{project_id}/vpcs',
            data: { vpc: { name: `over-${reason}`, cidr: vpcCidr } },
          })
        ).vpc as VpcView;
        const db = server.running.store.db;
        const subnet = await insertSubnetRow(db, account.projectId, vpc.id, cidr);
        await until(
          () => answer('127.30.0.65', 8081),
          (a) => a === 'ECONNREFUSED',
          `the endpoint to stop listening (${reason})`,
        );
        assert.match(await metrics(), unbound(reason, 1));
        await db.deleteFrom('subnets').where('id', '=', subnet).execute();
        await reach(`once the ${reason} address is free again`);
      };
      // The provider's project also claims part of the consumer's subnet: the endpoint could be its.
      await contest(server.provider, '127.30.0.0/16', '127.30.0.64/26', 'address_contested');
      // The consumer's project also claims the backend's address: it might be the consumer's own socket.
      await contest(server.consumer, '127.20.0.0/16', '127.20.0.0/28', 'backend_contested');
    });
  });

  describe(`data plane backends outside the bindable ranges (${dialect})`, () => {
    let server: TestServer;
    let port: number;
    const backends: { close(): Promise<void> }[] = [];

    before(async () => {
      port = await freePort('127.0.0.1');
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: {
          // The provider's 127.20.0.0/16 is left out: its addresses are the host's, not a tenant's.
          dataplane: { ...defaultConfig().dataplane, bindable_cidrs: ['127.30.0.0/16'] },
          public_services: [
            {
              id: '3b8a4d5e-0b5f-4f0e-9a53-6f1d2c7e0bff',
              name: 'operator',
              service_type: 'interface',
              backend_ip: '127.20.0.10',
              ports: [{ client_port: 8090, server_port: port }],
            },
          ],
        },
      });
    });
    after(async () => {
      await server?.close();
      for (const b of backends) await b.close();
    });

    test("a tenant's backend outside them is not dialled; the operator's public target is", async () => {
      const backend = await tagged('127.20.0.10', port, 'backend');
      backends.push(backend);
      const provider = await networkOf(server.provider, 'vpc-p');
      const consumer = await networkOf(server.consumer, 'vpc-c');
      const serviceId = await consumableService(server, provider, 8080, port);
      await acceptedEndpoint(server, consumer, serviceId, '127.30.0.61');
      await acceptedEndpoint(server, consumer, '3b8a4d5e-0b5f-4f0e-9a53-6f1d2c7e0bff', '127.30.0.62');
      assert.equal(
        await until(
          () => answer('127.30.0.62', 8090),
          (a) => a === 'backend:hi',
          'the public service',
        ),
        'backend:hi',
      );
      const before = backend.connections;
      const text = (await rawRequest({ method: 'GET', url: `${server.url}/metrics` })).text;
      assert.equal((await attempt('127.30.0.61', 8080, CLIENT)).code, 'ECONNREFUSED');
      const skipped = /^vpcep_dataplane_unbound_endpoints\{reason="backend_not_bindable"\} 1$/m;
      assert.ok(skipped.test(text), 'counted as backend_not_bindable');
      assert.equal(backend.connections, before, "the tenant's endpoint reached nothing");
    });
  });
}
