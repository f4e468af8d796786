// Defence in depth where the backend is dialled: a forwarder connects only to
// an IPv4 literal. The controller never hands it anything else; should a spec
// carry another kind of target (here IPv6 loopback, which passes the spec's
// "IP literal" check), nothing is dialled and the attempt counts as a backend
// error. Names are refused earlier still, by the spec check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EndpointCounters, ForwarderSet } from '../../src/dataplane/forwarder/index.ts';
import {
  attempt,
  startTcpBackend,
  startUdpBackend,
  tcpSpec,
  udpExchange,
  waitFor,
} from '../support/loopback.ts';

const LISTEN = '127.31.6.1';

test('a TCP forwarder does not dial a backend that is not an IPv4 literal', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  let connections = 0;
  const backend = await startTcpBackend('::1', (s) => {
    connections++;
    s.destroy();
  });
  try {
    const spec = tcpSpec(LISTEN, { host: '::1', port: backend.port });
    assert.deepEqual((await set.apply([spec])).failed, []);
    const port = set.address(spec.key)?.port ?? 0;
    const outcome = await attempt(LISTEN, port);
    assert.equal(outcome.received, 0);
    assert.ok(outcome.code !== undefined, `the client is reset: ${JSON.stringify(outcome)}`);
    assert.equal(connections, 0, 'the backend was never reached');
    assert.equal(counters.get('ep-1')?.backendErrors, 1);
    // A name never gets as far as a listener.
    const named = await set.apply([{ ...spec, targetHost: 'localhost' }]);
    assert.match(named.failed[0]?.error ?? '', /targetHost must be an IP literal/);
  } finally {
    await set.close();
    await backend.close();
  }
});

test('a UDP forwarder does not send to a backend that is not an IPv4 literal', async () => {
  const counters = new EndpointCounters();
  const set = new ForwarderSet({ counters });
  const backend = await startUdpBackend('::1');
  const client = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const spec = {
      ...tcpSpec(LISTEN, { host: '::1', port: backend.port }),
      key: 'ep-1:UDP:0',
      protocol: 'UDP' as const,
    };
    assert.deepEqual((await set.apply([spec])).failed, []);
    const port = set.address(spec.key)?.port ?? 0;
    assert.equal(await udpExchange(client, Buffer.from('ping'), port, LISTEN), null);
    // The answer's timeout can fire before the forwarder has read the datagram on a stalled
    // runner: the count is waited for.
    await waitFor(() => counters.get('ep-1')?.backendErrors === 1, 5000, 'one backend error');
    assert.deepEqual(backend.sources, [], 'the backend received nothing');
    assert.equal(counters.get('ep-1')?.activeSessions ?? 0, 0, 'no session was opened');
  } finally {
    client.close();
    await set.close();
    await backend.close();
  }
});
