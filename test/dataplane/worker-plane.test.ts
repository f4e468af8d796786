// The pure parts of forwarding in several processes: the connection limit
// kept across workers (the supervisor's SlotBroker and each worker's
// SlotLeases, wired together in one process with the messages passed as the
// processes would), which worker runs which listener, how counts travel, and
// which node flags a child gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EndpointCounters, TRAFFIC_FIELDS } from '../../src/dataplane/forwarder/counters.ts';
import type { ListenerSpec } from '../../src/dataplane/forwarder/types.ts';
import { tcpSpec } from '../support/loopback.ts';
import { childExecArgv, DATAPLANE_V8_FLAGS, entryPoint } from '../../src/dataplane/workers/launch.ts';
import {
  diffShare,
  planListeners,
  udpOwner,
  workerShare,
} from '../../src/dataplane/workers/listener-plan.ts';
import type { FromWorker, ToWorker } from '../../src/dataplane/workers/protocol.ts';
import { SlotBroker } from '../../src/dataplane/workers/slot-broker.ts';
import { SlotLeases } from '../../src/dataplane/workers/slot-leases.ts';
import { TrafficReport } from '../../src/dataplane/workers/traffic.ts';

/**
 * A broker and `n` workers' leases, with every message queued and delivered by
 * deliver(): messages between processes are asynchronous, and tests choose
 * when they arrive.
 */
function plane(n: number) {
  const queue: (() => void)[] = [];
  const leases: SlotLeases[] = [];
  const broker = new SlotBroker(n, (worker, msg: ToWorker) =>
    queue.push(() => {
      const l = leases[worker];
      if (!l) return;
      if (msg.t === 'grant') l.granted(msg.ep, msg.n, msg.keep);
      if (msg.t === 'reclaim') l.reclaim(msg.ep, msg.rid);
    }),
  );
  for (let w = 0; w < n; w++) {
    leases.push(
      new SlotLeases((msg: FromWorker) =>
        queue.push(() => {
          if (msg.t === 'slots') broker.request(w, msg.ep, msg.max, msg.want);
          if (msg.t === 'return') broker.returned(w, msg.ep, msg.n);
          if (msg.t === 'reclaimed') broker.reclaimed(w, msg.ep, msg.n);
        }),
      ),
    );
  }
  /** Delivers queued messages (and those they cause) until none is left. */
  const deliver = async (): Promise<void> => {
    while (queue.length > 0) queue.shift()?.();
    await new Promise((r) => setImmediate(r));
    if (queue.length > 0) await deliver();
  };
  return { broker, leases, deliver };
}

/** Acquires a slot in worker `w` and delivers messages until it is decided. */
async function acquire(p: ReturnType<typeof plane>, w: number, ep: string, max: number): Promise<boolean> {
  const answer = p.leases[w]?.acquire(ep, max);
  if (typeof answer === 'boolean') return answer;
  await p.deliver();
  return (await answer) ?? false;
}

test('the limit holds across workers: the excess is refused wherever it arrives, a freed slot serves any worker', async () => {
  const p = plane(2);
  assert.equal(await acquire(p, 0, 'ep', 2), true);
  assert.equal(await acquire(p, 1, 'ep', 2), true);
  // Both slots are taken, one in each worker: a third is refused in either.
  assert.equal(await acquire(p, 0, 'ep', 2), false);
  assert.equal(await acquire(p, 1, 'ep', 2), false);
  // Freed in worker 0, taken in worker 1: the broker reclaims worker 0's spare slot.
  p.leases[0]?.release('ep');
  await p.deliver();
  assert.equal(await acquire(p, 1, 'ep', 2), true);
  assert.equal(await acquire(p, 0, 'ep', 2), false);
});

test('a busy worker admits from its batch without asking, and gives back what it does not need', async () => {
  const p = plane(2);
  const sent: string[] = [];
  const counting = new SlotLeases((msg) => sent.push(msg.t));
  assert.ok(counting.acquire('ep', 1000) instanceof Promise, 'the first connection asks');
  counting.granted('ep', p.broker.batch(1000), p.broker.batch(1000));
  for (let i = 1; i < p.broker.batch(1000); i++) assert.equal(counting.acquire('ep', 1000), true);
  assert.deepEqual(sent, ['slots'], 'one request for a whole batch');
  for (let i = 0; i < p.broker.batch(1000); i++) counting.release('ep');
  assert.deepEqual(counting.held('ep'), { used: 0, granted: p.broker.batch(1000) }, 'a batch is kept spare');
  counting.forget('ep');
  assert.deepEqual(counting.held('ep'), { used: 0, granted: 0 }, 'an endpoint gone from here keeps nothing');
  assert.deepEqual(sent, ['slots', 'return']);
});

test('a worker that exits gives its slots back', async () => {
  const p = plane(2);
  for (let i = 0; i < 3; i++) assert.equal(await acquire(p, 0, 'ep', 3), true);
  assert.equal(await acquire(p, 1, 'ep', 3), false);
  p.broker.workerGone(0);
  p.leases[0] = new SlotLeases(() => {});
  assert.equal(await acquire(p, 1, 'ep', 3), true);
});

test('whatever the order of acquires and releases across workers, no more than max slots are ever in use', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.record({ worker: fc.integer({ min: 0, max: 2 }), release: fc.boolean() }), {
        maxLength: 60,
      }),
      async (max, steps) => {
        const p = plane(3);
        const inUse = [0, 0, 0];
        for (const { worker, release } of steps) {
          if (release && (inUse[worker] ?? 0) > 0) {
            p.leases[worker]?.release('ep');
            inUse[worker] = (inUse[worker] ?? 0) - 1;
            await p.deliver();
          } else if (await acquire(p, worker, 'ep', max)) {
            inUse[worker] = (inUse[worker] ?? 0) + 1;
          } else {
            // Refused only when the endpoint is full everywhere.
            assert.equal(
              inUse.reduce((a, b) => a + b, 0),
              max,
            );
          }
          assert.ok(inUse.reduce((a, b) => a + b, 0) <= max);
          const held = [...p.broker.held('ep').values()].reduce((a, b) => a + b, 0);
          assert.ok(held <= max, `the broker granted ${held} of ${max}`);
        }
      },
    ),
    { numRuns: 200 },
  );
});

const spec = (key: string, over: Partial<ListenerSpec> = {}): ListenerSpec =>
  tcpSpec('127.30.0.5', { host: '127.20.0.10', port: 80 }, { key, listenPort: 8080, ...over });

test('two listeners on one address never share it: the first key keeps it, the other is reported', () => {
  const desired = new Map([
    ['b:TCP:8080', spec('b:TCP:8080', { endpointId: 'b' })],
    ['a:TCP:8080', spec('a:TCP:8080', { endpointId: 'a' })],
    // Another spelling of the same address is the same address.
    ['c:TCP:8080', spec('c:TCP:8080', { endpointId: 'c', listenHost: '::ffff:127.30.0.5' })],
    ['a:UDP:8080', spec('a:UDP:8080', { protocol: 'UDP' })],
    ['d:TCP:0', spec('d:TCP:0', { listenPort: 0 })],
    ['e:TCP:0', spec('e:TCP:0', { listenPort: 0 })],
  ]);
  const plan = planListeners(desired);
  assert.deepEqual([...plan.runnable.keys()].sort(), ['a:TCP:8080', 'a:UDP:8080', 'd:TCP:0', 'e:TCP:0']);
  assert.deepEqual(
    plan.conflicts.map((c) => [c.key, c.code]),
    [
      ['b:TCP:8080', 'EADDRINUSE'],
      ['c:TCP:8080', 'EADDRINUSE'],
    ],
  );
  assert.match(plan.conflicts[0]?.error ?? '', /already used by listener a:TCP:8080/);
});

test('TCP listeners run in every worker, a UDP listener in one, the same one every time', () => {
  const udp = Array.from({ length: 40 }, (_, i) => spec(`ep-${i}:UDP:53`, { protocol: 'UDP' }));
  const runnable = new Map([...udp, spec('ep-x:TCP:80')].map((s) => [s.key, s]));
  const shares = [0, 1, 2].map((w) => workerShare(runnable, w, 3));
  for (const share of shares) assert.ok(share.has('ep-x:TCP:80'));
  for (const s of udp) {
    const owners = [0, 1, 2].filter((w) => shares[w]?.has(s.key));
    assert.deepEqual(owners, [udpOwner(s, 3)]);
  }
  assert.ok(
    shares.every((share) => share.size > 1),
    'UDP listeners are spread over the workers',
  );
});

test('a worker gets only what changed, by identity', () => {
  const a = spec('a');
  const b = spec('b');
  const b2 = spec('b', { targetPort: 81 });
  assert.deepEqual(diffShare(new Map(), new Map([['a', a]])), {
    upserts: [a],
    removals: [],
    replaces: false,
  });
  assert.deepEqual(diffShare(new Map([['a', a]]), new Map([['a', a]])), {
    upserts: [],
    removals: [],
    replaces: false,
  });
  assert.deepEqual(
    diffShare(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      new Map([['b', b2]]),
    ),
    {
      upserts: [b2],
      removals: ['a'],
      replaces: true,
    },
  );
});

test('counts travel as changes, and a change that only lowers gauges never brings back a forgotten endpoint', () => {
  const worker = new EndpointCounters();
  const report = new TrafficReport(worker);
  const main = new EndpointCounters();
  const t = worker.record('ep');
  t.activeConnections = 2;
  t.totalConnections = 2;
  t.bytesClientToBackend = 100;
  for (const d of report.take()) main.add(d);
  assert.equal(report.take().length, 0, 'nothing new, nothing sent');
  t.activeConnections = 0;
  t.bytesBackendToClient = 7;
  const last = report.take(new Set());
  for (const d of last) main.add(d);
  assert.deepEqual(main.get('ep'), {
    ...TRAFFIC_FIELDS.reduce((o, f) => ({ ...o, [f]: 0 }), {}),
    totalConnections: 2,
    bytesClientToBackend: 100,
    bytesBackendToClient: 7,
  });
  assert.deepEqual(report.endpoints(), [], 'an endpoint without listeners or flows is dropped here');
  main.forget('ep');
  const lower = TRAFFIC_FIELDS.map((f) => (f === 'activeConnections' ? -1 : 0));
  main.add(['ep', lower]);
  assert.equal(main.get('ep'), undefined);
});

test('children get this process’s node flags minus the test runner’s and the debugger’s', () => {
  assert.deepEqual(
    childExecArgv([
      '--import',
      'tsx',
      '--test-concurrency=1',
      '--inspect-port',
      '9230',
      '--inspect=127.0.0.1:9229',
      '--expose-gc',
      '--max-old-space-size=512',
    ]),
    ['--import', 'tsx', '--expose-gc', '--max-old-space-size=512'],
  );
  // This test runs from the TypeScript sources: the entry is a .ts file, loaded by the loader
  // this process was started with; without one the start is refused with a reason.
  const entry = entryPoint('worker-main', ['--import', 'tsx']);
  assert.match(entry.file, /src\/dataplane\/workers\/worker-main\.ts$/);
  assert.deepEqual(entry.execArgv.slice(0, 2), ['--import', 'tsx']);
  assert.throws(() => entryPoint('worker-main', []), /without a loader in its node flags/);
  assert.deepEqual(entry.execArgv.slice(-DATAPLANE_V8_FLAGS.length), [...DATAPLANE_V8_FLAGS]);
  assert.equal(
    entryPoint('worker-main', ['--import', 'tsx']).execArgv.filter((f) => f === '--import').length,
    1,
  );
  // A worker started by the supervisor, which already runs with them, gets them once.
  const again = entryPoint('worker-main', entry.execArgv).execArgv;
  for (const flag of DATAPLANE_V8_FLAGS) assert.equal(again.filter((f) => f === flag).length, 1, flag);
});
