// Forwarding in worker processes, black-box through a running server: the
// workers share each TCP listener, their counts add up on /metrics, the
// connection limit holds across them, and a worker or the supervisor that
// dies is restarted and forwards again.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { EndpointCounters } from '../../src/dataplane/forwarder/counters.ts';
import type { ForwardingProcessesStatus } from '../../src/dataplane/forwarding.ts';
import { ForwardingProcesses } from '../../src/dataplane/workers/plane.ts';
import {
  attempt,
  closeOutcome,
  connectTcp,
  roundTrip,
  startTcpBackend,
  tcpSpec,
  type TcpBackend,
} from '../support/loopback.ts';
import { runCli } from '../support/cli.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { childrenOf } from '../support/processes.ts';
import { reachable } from '../support/reachable.ts';
import { startTestServer, testAccount, testConfig, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';

const CLIENT = '127.30.0.7';
const LIMIT = 30;

/** Every sample of a series on /metrics, by its label text. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (m) out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

for (const dialect of testDialects()) {
  describe(`forwarding worker processes (${dialect})`, () => {
    let server: TestServer;
    let backend: TcpBackend;
    let endpointId: string;
    const IP = '127.30.0.90';

    const metrics = async () => (await rawRequest({ method: 'GET', url: `${server.url}/metrics` })).text;
    const processes = (): ForwardingProcessesStatus => {
      const status = server.running.dataplane?.forwarding?.processes();
      assert.ok(status, 'the server forwards in worker processes');
      return status;
    };
    /** Resolves once every worker runs, none of them one of `gone`, and holds its listeners. */
    const allReady = (what: string, gone: readonly (number | undefined)[] = []) =>
      waitUntil(
        async () => processes(),
        (p) =>
          p.workers.length === 2 &&
          p.workers.every((w) => w.ready && w.pid !== undefined && !gone.includes(w.pid)),
        what,
        30_000,
        50,
      );
    const echoes = async (payload: string): Promise<boolean> => {
      try {
        const s = await connectTcp(IP, 8080, CLIENT, 1000);
        try {
          return (await roundTrip(s, Buffer.from(payload), 2000)).toString() === payload;
        } finally {
          s.destroy();
        }
      } catch {
        return false;
      }
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: {
          dataplane: { ...defaultConfig().dataplane, workers: 2, max_connections_per_endpoint: LIMIT },
        },
      });
      backend = await startTcpBackend('127.20.0.10');
      const provider = await networkOf(server.provider, 'vpc-p');
      const consumer = await networkOf(server.consumer, 'vpc-c');
      const svc = await createService(server, provider, {
        ports: [{ client_port: 8080, server_port: backend.port, protocol: 'TCP' }],
      });
      await whitelistDomain(server, svc.id, server.consumer.domainId);
      const created = await createEndpoint(server.consumer, {
        endpoint_service_id: svc.id,
        vpc_id: consumer.vpcId,
        subnet_id: consumer.subnetId,
        port_ip: IP,
      });
      endpointId = String(created.id);
      assert.equal((await settled(server.consumer, endpointId)).status, 'accepted');
      await reachable(IP, 8080, CLIENT, 30_000);
      await allReady('both workers');
    });
    after(async () => {
      await server?.close();
      await backend?.close();
    });

    test('the workers share the listener, and /metrics adds up what each counted', async () => {
      const before = samples(await metrics(), 'vpcep_endpoint_connections_total').get(
        `endpoint_id="${endpointId}"`,
      );
      let made = 0;
      let bytes = 0;
      let perWorker = new Map<string, number>();
      // Connections in parallel batches until both workers took some: the kernel decides.
      for (let batch = 0; batch < 50; batch++) {
        const payloads = Array.from({ length: 10 }, (_, i) => `batch ${batch} connection ${i}`);
        const answers = await Promise.all(payloads.map((p) => echoes(p)));
        assert.ok(answers.every(Boolean), 'every connection echoes');
        made += payloads.length;
        bytes += payloads.reduce((n, p) => n + p.length, 0);
        perWorker = samples(await metrics(), 'vpcep_dataplane_worker_flows_total');
        if ([...perWorker.values()].filter((n) => n > 0).length === 2) break;
      }
      assert.deepEqual([...perWorker.keys()].sort(), ['worker="0"', 'worker="1"']);
      assert.ok(
        [...perWorker.values()].every((n) => n > 0),
        `both workers accepted connections: ${JSON.stringify([...perWorker])}`,
      );
      // A flush that outlasts its bound on a loaded runner answers the last report: waited for.
      const totalOf = (text: string) =>
        samples(text, 'vpcep_endpoint_connections_total').get(`endpoint_id="${endpointId}"`);
      const expected = (before ?? 0) + made;
      const text = await waitUntil(
        metrics,
        (t) => totalOf(t) === expected,
        'every connection in the endpoint total',
      );
      const total = totalOf(text);
      assert.equal(total, expected, 'the endpoint total counts every connection once');
      assert.equal(
        [...samples(text, 'vpcep_dataplane_worker_flows_total').values()].reduce((a, b) => a + b, 0),
        total,
        'the per-worker counts add up to the total',
      );
      const sent = samples(text, 'vpcep_endpoint_bytes_total').get(
        `endpoint_id="${endpointId}",direction="client_to_backend"`,
      );
      assert.ok((sent ?? 0) >= bytes, `every byte sent is counted (${sent} of at least ${bytes})`);
      assert.match(text, /^vpcep_dataplane_workers 2$/m);
    });

    test('the connection limit holds across the workers', async (t) => {
      const counts = () => server.running.dataplane?.counters?.get(endpointId);
      const refusedBefore = counts()?.refusedLimit ?? 0;
      const flowsBefore = processes().flows;
      const held = await Promise.all(Array.from({ length: LIMIT }, () => connectTcp(IP, 8080, CLIENT)));
      try {
        // Each holds a slot once its backend answered.
        await Promise.all(held.map((s, i) => roundTrip(s, Buffer.from(`held ${i}`))));
        await waitUntil(
          async () => counts()?.activeConnections,
          (n) => n === LIMIT,
          `${LIMIT} open connections`,
        );
        const flowsNow = processes().flows;
        t.diagnostic(
          `connections held per worker: ${[0, 1].map((w) => (flowsNow.get(w) ?? 0) - (flowsBefore.get(w) ?? 0)).join(' + ')}`,
        );
        const extra = await attempt(IP, 8080, CLIENT);
        assert.ok(extra.code !== undefined && extra.received === 0, `refused: ${JSON.stringify(extra)}`);
        await waitUntil(
          async () => counts()?.refusedLimit,
          (n) => n === refusedBefore + 1,
          'the refusal to be counted',
        );
        // A slot freed in one worker serves a connection accepted by any worker.
        held.pop()?.destroy();
        await waitUntil(
          async () => counts()?.activeConnections,
          (n) => n === LIMIT - 1,
          'a free slot',
        );
        assert.ok(await waitUntil(() => echoes('one more'), Boolean, 'a connection in the freed slot'));
      } finally {
        for (const s of held) s.destroy();
      }
      await waitUntil(
        async () => counts()?.activeConnections,
        (n) => n === 0,
        'every slot free',
      );
    });

    test('killed workers are restarted and forward again; their connections end and leave the gauge', async () => {
      const open = await connectTcp(IP, 8080, CLIENT);
      await roundTrip(open, Buffer.from('open'));
      const ended = closeOutcome(open, 10_000);
      const [w0, w1] = processes().workers;
      assert.ok(w0?.pid !== undefined && w1?.pid !== undefined);
      // Both workers: wherever the open connection is, it goes with them.
      process.kill(w0.pid, 'SIGKILL');
      process.kill(w1.pid, 'SIGKILL');
      // The kernel closes a dead process's sockets: FIN, or RST when data was unread.
      await ended;
      const again = await allReady('both workers restarted', [w0.pid, w1.pid]);
      assert.ok(again.workers.every((w) => w.restarts >= 1));
      assert.ok(await waitUntil(() => echoes('after the restart'), Boolean, 'forwarding again'));
      await waitUntil(
        async () => server.running.dataplane?.counters?.get(endpointId)?.activeConnections,
        (n) => n === 0,
        'the dead connections to leave the gauge',
      );
      assert.match(await metrics(), /^vpcep_dataplane_process_restarts_total\{process="worker"\} [2-9]/m);
    });

    test('a killed supervisor is restarted with every listener', async () => {
      const before = processes();
      assert.ok(before.supervisorPid !== undefined);
      process.kill(before.supervisorPid, 'SIGKILL');
      const after = await waitUntil(
        async () => processes(),
        (p) => p.supervisorPid !== undefined && p.supervisorPid !== before.supervisorPid,
        'a new supervisor',
        30_000,
        50,
      );
      assert.equal(after.supervisorRestarts, before.supervisorRestarts + 1);
      await allReady(
        'the new supervisor’s workers',
        before.workers.map((w) => w.pid),
      );
      assert.ok(await waitUntil(() => echoes('new supervisor'), Boolean, 'forwarding again'));
      // The old workers went with their supervisor.
      for (const w of before.workers) {
        if (w.pid === undefined) continue;
        await waitUntil(
          () => alive(w.pid ?? 0),
          (a) => !a,
          `old worker ${w.pid} to exit`,
        );
      }
    });
  });
}

describe('forwarding processes and the main process', () => {
  test('started through a launcher command (as `ip netns exec` would run them), they dial from the spec’s source address', async () => {
    const counters = new EndpointCounters();
    const warnings: string[] = [];
    const log = { warn: (_: object, msg?: string) => warnings.push(msg ?? ''), info: () => {} };
    const plane = new ForwardingProcesses({
      workers: 1,
      connectTimeoutMs: 2000,
      counters,
      log,
      launcher: ['env'],
    });
    const backend = await startTcpBackend('127.31.6.2', (s) => s.end(`${s.remoteAddress ?? '?'}`));
    try {
      const spec = tcpSpec('127.31.6.1', backend, { listenPort: 8080, sourceHost: '127.31.6.9' });
      assert.deepEqual((await plane.apply([spec])).failed, []);
      const client = await connectTcp('127.31.6.1', 8080);
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        client.on('data', (c: Buffer) => (text += c.toString()));
        client.on('end', () => client.end());
        client.on('close', () => resolve(text));
      });
      assert.equal(answer, '127.31.6.9', 'the backend saw the source address of the spec');
      const pids = [plane.processes().supervisorPid, ...plane.processes().workers.map((w) => w.pid)];
      await plane.close();
      for (const pid of pids) assert.equal(alive(pid ?? 0), false, `process ${pid} is gone once closed`);
      assert.equal((await attempt('127.31.6.1', 8080)).code, 'ECONNREFUSED');
      assert.deepEqual(warnings, []);
    } finally {
      await plane.close();
      await backend.close();
    }
  });

  test('a SIGKILL of the main vpcep process leaves no data-plane process behind', async () => {
    const db = await freshDatabase('sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-orphans-'));
    const configFile = join(dir, 'vpcep.json.yaml');
    const config = testConfig(db.url, { accountExtras: NETWORKS });
    writeFileSync(configFile, JSON.stringify({ ...config, dataplane: { ...config.dataplane, workers: 2 } }));
    // Stopped and removed however far the set-up got (a taken backend address fails it).
    let backend: Awaited<ReturnType<typeof startTcpBackend>> | undefined;
    let run: ReturnType<typeof runCli> | undefined;
    try {
      backend = await startTcpBackend('127.20.0.10');
      const started = (run = runCli(['serve', '--config', configFile]));
      const out = await waitUntil(
        async () => started.output(),
        (text) => /listening on (http:\/\/\S+)/.test(text),
        'the server to start',
        30_000,
        50,
      );
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
      const server = { url, provider: testAccount('provider', url), consumer: testAccount('consumer', url) };
      const provider = await networkOf(server.provider, 'vpc-p');
      const consumer = await networkOf(server.consumer, 'vpc-c');
      const svc = await createService(server as TestServer, provider, {
        ports: [{ client_port: 8080, server_port: backend.port, protocol: 'TCP' }],
      });
      await whitelistDomain(server as TestServer, svc.id, server.consumer.domainId);
      const ep = await createEndpoint(server.consumer, {
        endpoint_service_id: svc.id,
        vpc_id: consumer.vpcId,
        subnet_id: consumer.subnetId,
        port_ip: '127.30.0.96',
      });
      assert.equal((await settled(server.consumer, String(ep.id))).status, 'accepted');
      await reachable('127.30.0.96', 8080, CLIENT, 30_000);

      const mainPid = run.child.pid ?? 0;
      const tree = await waitUntil(
        async () => {
          const supervisors = childrenOf(mainPid);
          return { supervisors, workers: supervisors.flatMap(childrenOf) };
        },
        (t) => t.supervisors.length === 1 && t.workers.length === 2,
        'the supervisor and its two workers',
      );
      run.child.kill('SIGKILL');
      await run.exited;
      for (const pid of [...tree.supervisors, ...tree.workers]) {
        await waitUntil(
          () => alive(pid),
          (a) => !a,
          `data-plane process ${pid} to exit`,
          10_000,
          20,
        );
      }
      assert.equal((await attempt('127.30.0.96', 8080, CLIENT)).code, 'ECONNREFUSED');
    } finally {
      run?.child.kill('SIGKILL');
      await run?.exited;
      await backend?.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether a process runs (a zombie, dead but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
