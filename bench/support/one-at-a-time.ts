// Requests one at a time with hrtime precision, for latency series.
import { Agent, request as httpRequest } from 'node:http';
import type { RawResponse } from '../../test/support/http.ts';

export type ResponseSeen = Omit<RawResponse, 'localPort'>;

export interface Series {
  p50: number;
  p99: number;
  rps: number;
  count: number;
  bad: number;
  detail: string;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Target {
  url: string;
  headers: Record<string, string>;
  /** POST this body (GET without). */
  body?: string;
  check: (res: ResponseSeen) => string | undefined;
}

interface Answer {
  ms: number;
  status: number;
  text: string;
}

function requestOnce(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const u = new URL(url);
  const path = url.slice(url.indexOf('/', u.protocol.length + 2));
  const method = body === undefined ? 'GET' : 'POST';
  return new Promise<Answer>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = httpRequest(
      { host: u.hostname, port: u.port, path, method, headers, agent, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Requests one at a time, taking the targets in turn (a, b, a, b, …), each on
 * a keep-alive connection of its own: whatever else the machine does hits
 * every target alike. Up to `count` requests per target, for at most `seconds`
 * in all, or until `stopped()`. Latency with hrtime precision (autocannon records whole
 * milliseconds, too coarse for a ~1 ms list).
 */
export async function alternating(
  targets: readonly Target[],
  count: number,
  seconds: number,
  stopped: () => boolean,
): Promise<Series[]> {
  const state = targets.map((t) => ({
    target: t,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    samples: [] as number[],
    bad: 0,
    problems: [] as string[],
    busyMs: 0,
  }));
  const note = (st: (typeof state)[number], problem: string) => {
    st.bad++;
    if (st.problems.length < 3) st.problems.push(problem);
  };
  const deadline = performance.now() + seconds * 1000;
  try {
    for (let i = 0; i < count && performance.now() < deadline && !stopped(); i++) {
      for (const st of state) {
        let r: Answer;
        try {
          r = await requestOnce(st.agent, st.target.url, st.target.headers, st.target.body);
        } catch (err) {
          note(st, (err as Error).message);
          continue;
        }
        st.samples.push(r.ms);
        st.busyMs += r.ms;
        if (r.status < 200 || r.status > 299) {
          note(st, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
        } else if (i % 50 === 0) {
          // Checking every body would slow the loop down; a sample is enough.
          let json: unknown;
          try {
            json = JSON.parse(r.text);
          } catch {
            json = undefined;
          }
          const problem = st.target.check({ status: r.status, headers: {}, text: r.text, json });
          if (problem) note(st, problem);
        }
      }
    }
  } finally {
    for (const st of state) st.agent.destroy();
  }
  return state.map((st) => {
    const sorted = [...st.samples].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      // Requests/s of one client waiting for each answer: 1 / mean latency.
      rps: st.busyMs > 0 ? (st.samples.length * 1000) / st.busyMs : 0,
      count: st.samples.length,
      bad: st.bad,
      detail: st.problems.join('; '),
    };
  });
}
