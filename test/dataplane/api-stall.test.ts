// Forwarding does not wait for the API's event loop: while the process that
// serves the API (and reads the store) is stuck in a long synchronous job,
// connections through an endpoint still carry traffic. Proven by order, not
// by timing: the client, in another process, finishes its round trips and
// says so while the API process never returns to its event loop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { testDialects } from '../support/db.ts';
import { reachable } from '../support/reachable.ts';
import { startTestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';

const PROBER = fileURLToPath(new URL('./fixtures/stall-prober.ts', import.meta.url));
const IP = '127.30.0.95';
const CLIENT = '127.30.0.7';
const ROUNDS = 200;

for (const dialect of testDialects()) {
  test(`a blocked API event loop does not stop forwarding (${dialect})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-stall-'));
    // Everything started is stopped and the folder removed however far the set-up got.
    const prober = spawn(process.execPath, ['--import', 'tsx', PROBER, '127.20.0.10', dir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: { dataplane: { ...defaultConfig().dataplane, workers: 2 } },
      });
      const [line] = (await once(createInterface({ input: prober.stdout }), 'line')) as [string];
      const backendPort = (JSON.parse(line) as { port: number }).port;
      const provider = await networkOf(server.provider, 'vpc-p');
      const consumer = await networkOf(server.consumer, 'vpc-c');
      const svc = await createService(server, provider, {
        ports: [{ client_port: 8080, server_port: backendPort, protocol: 'TCP' }],
      });
      await whitelistDomain(server, svc.id, server.consumer.domainId);
      const ep = await createEndpoint(server.consumer, {
        endpoint_service_id: svc.id,
        vpc_id: consumer.vpcId,
        subnet_id: consumer.subnetId,
        port_ip: IP,
      });
      assert.equal((await settled(server.consumer, String(ep.id))).status, 'accepted');
      await reachable(IP, 8080, CLIENT, 30_000);

      // From here until the prober is done, this process (the API's) runs no callback at all.
      // Written aside and renamed: the prober polls for the name and must never read it half-written.
      writeFileSync(
        join(dir, 'go.tmp'),
        JSON.stringify({ host: IP, port: 8080, from: CLIENT, rounds: ROUNDS }),
      );
      renameSync(join(dir, 'go.tmp'), join(dir, 'go'));
      const doneFile = join(dir, 'done');
      // Only a safety net: a data plane that needs this loop never lets the prober finish.
      const deadline = Date.now() + 60_000;
      let finishedWhileBlocked = false;
      while (Date.now() < deadline) {
        if (existsSync(doneFile)) {
          finishedWhileBlocked = true;
          break;
        }
      }
      assert.ok(finishedWhileBlocked, 'the round trips finished while the API process was blocked');
      // Read after the loop: the prober wrote it while the loop above was still spinning.
      assert.deepEqual(JSON.parse(readFileSync(doneFile, 'utf8')), { rounds: ROUNDS });
    } finally {
      prober.stdin.end();
      await server?.close();
      if (prober.exitCode === null) await once(prober, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
