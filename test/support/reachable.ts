import { connectTcp } from './loopback.ts';
import { waitUntil } from './wait.ts';

/**
 * Resolves once `host:port` accepts a TCP connection from `from` (closing it
 * at once): how a test waits for an endpoint's listener to come up.
 */
export async function reachable(host: string, port: number, from: string, timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    async () => {
      try {
        (await connectTcp(host, port, from, 500)).destroy();
        return true;
      } catch {
        return false;
      }
    },
    (ok) => ok,
    `${host}:${port} to accept connections`,
    timeoutMs,
    20,
  );
}
