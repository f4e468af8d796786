// Namespaces mode against loopback mode (the goal "Namespaces mode ÷ loopback
// mode: bulk, conn/s"), root only: part of bench/dataplane.ts, and run alone by
// bench/dataplane-namespaces.ts.
//
// The same setup twice, each with `vpcep serve` (the real CLI, SQLite in a temp
// dir, default workers): a provider's backend (bench/support/dataplane-backend.ts)
// behind an accepted endpoint, and a load generator (bench/support/netns-load.ts)
// as the consumer's client, from one source address in both modes:
//
//   loopback    backend on 127.20.0.10, client 127.30.0.7, endpoint 127.30.0.60, all on the host;
//   namespaces  backend and client as instances (`vpcep exec`) of two VPCs with the same
//               CIDR 10.0.0.0/16 and address 10.0.0.10, endpoint 10.0.0.50.
//
// Bulk is the MB/s the backend received in the window; connections/s is one
// connect, 32-byte echo and close per connection at a fixed concurrency.
// Each round's client dials from an address of its own (a consumer instance of
// its own in namespaces mode): a client that closes first leaves every
// connection in TIME_WAIT for a minute, and a later round from the same
// address would measure its search for a free port (docs/networking.md).
// Both servers run side by side and the modes are measured in interleaved rounds
// (medians printed), so other load on the machine weighs on both alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultConfig } from '../../src/config/defaults.ts';
import { NetnsNames } from '../../src/dataplane/netns/names.ts';
import { removeAll } from '../../src/dataplane/netns/cleanup.ts';
import { namespacesKernel } from '../../src/dataplane/netns/requirements.ts';
import { SAME_CIDRS, sameCidrBed } from '../../test/dataplane/netns.support.ts';
import { testConfig } from '../../test/support/server.ts';
import {
  createEndpoint,
  createService,
  NETWORKS,
  settled,
  whitelistDomain,
} from '../../test/vpcep/endpoints.support.ts';
import { killTreeNow } from './dataplane-children.ts';
import { fmtInt, median, stopChild, table } from './report.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src/cli/main.ts');
const TSX = import.meta.resolve('tsx');
const BACKEND = join(ROOT, 'bench/support/dataplane-backend.ts');
const LOAD = join(ROOT, 'bench/support/netns-load.ts');
const PREFIX = 'vbench';

export interface ComparisonOptions {
  seconds: number;
  streams: number;
  concurrency: number;
  rounds: number;
}

type Mode = 'loopback' | 'namespaces';
interface Result {
  mode: Mode;
  bulkMBps: number;
  connPerS: number;
  errors: number;
}

const children: ChildProcess[] = [];
// A last resort for any way out (a deadline's process.exit, a signal): the
// servers' data planes and what `vpcep exec` started go too.
process.on('exit', () => {
  for (const c of children) killTreeNow(c);
});

function node(args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VPCEP_')) delete env[k];
  const child = spawn(process.execPath, ['--import', TSX, ...args], {
    env,
    stdio: [stdin, 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

/** Every stdout line of `child`, to `onLine`; resolves with the first line `match` accepts. */
function lines(child: ChildProcess, match: (line: string) => boolean, onLine?: (line: string) => void) {
  return new Promise<string>((resolve, reject) => {
    let found = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      onLine?.(line);
      if (!found && match(line)) {
        found = true;
        resolve(line);
      }
    });
    child.on('exit', (code) => {
      if (!found) reject(new Error(`child exited (${code}) before the expected line`));
    });
  });
}

interface Setup {
  /** Round `round` (0-based), from that round's own client address. */
  measure(round: number): Promise<Result>;
  close(): Promise<void>;
}

/** The client address of round `round`: outside every address the setup itself uses. */
function clientAddress(mode: Mode, round: number): string {
  return mode === 'loopback' ? `127.30.0.${100 + round}` : `10.0.0.${100 + round}`;
}

async function setup(mode: Mode, opts: ComparisonOptions): Promise<Setup> {
  const rounds = opts.rounds;
  const dir = mkdtempSync(join(tmpdir(), `vpcep-bench-${mode}-`));
  const configFile = join(dir, 'vpcep.json.yaml');
  const defaults = defaultConfig();
  const config = testConfig(`sqlite:${join(dir, 'vpcep.db')}`, {
    accountExtras: mode === 'namespaces' ? SAME_CIDRS : NETWORKS,
    overrides: {
      log_level: 'silent',
      jobs: defaults.jobs,
      dataplane: {
        ...defaults.dataplane,
        network: mode,
        namespace_prefix: PREFIX,
      },
    },
  });
  writeFileSync(configFile, JSON.stringify(config));
  const started: ChildProcess[] = [];
  const start = (args: string[], stdin: 'pipe' | 'ignore' = 'ignore') => {
    const c = node(args, stdin);
    started.push(c);
    return c;
  };
  try {
    const serve = start([CLI, 'serve', '--config', configFile]);
    const url =
      /listening on (http:\/\/\S+)/.exec(await lines(serve, (l) => l.includes('listening on')))?.[1] ?? '';
    const { bed, netP, netC } = await sameCidrBed(url);
    const asInstance = (portId: string | undefined, args: string[]) =>
      mode === 'loopback'
        ? args
        : [
            CLI,
            'exec',
            '--port',
            portId ?? '',
            '--config',
            configFile,
            '--',
            process.execPath,
            '--import',
            TSX,
            ...args,
          ];
    const backendHost = mode === 'loopback' ? '127.20.0.10' : '10.0.0.10';
    const backend = start(asInstance(netP.backendPortId, [BACKEND, '--host', backendHost]), 'pipe');
    let pending: ((bytes: number) => void)[] = [];
    const ready = JSON.parse(
      await lines(
        backend,
        (l) => l.includes('sinkPort'),
        (l) => {
          if (!l.includes('sinkBytes')) return;
          const [first, ...rest] = pending;
          pending = rest;
          first?.((JSON.parse(l) as { sinkBytes: number }).sinkBytes);
        },
      ),
    ) as { sinkPort: number; echoPort: number };
    const sinkBytes = () =>
      new Promise<number>((resolve) => {
        pending.push(resolve);
        backend.stdin?.write('stats\n');
      });

    const svc = await createService(bed, netP, {
      ports: [
        { client_port: 5001, server_port: ready.sinkPort, protocol: 'TCP' },
        { client_port: 5002, server_port: ready.echoPort, protocol: 'TCP' },
      ],
    });
    await whitelistDomain(bed, svc.id, bed.consumer.domainId);
    const endpointIp = mode === 'loopback' ? '127.30.0.60' : '10.0.0.50';
    const created = await createEndpoint(bed.consumer, {
      endpoint_service_id: svc.id,
      vpc_id: netC.vpcId,
      subnet_id: netC.subnetId,
      port_ip: endpointIp,
    });
    await settled(bed.consumer, String(created.id));

    // Namespaces mode: one consumer instance per round, with the round's address.
    const clientPorts: string[] = [];
    if (mode === 'namespaces') {
      for (let round = 0; round < rounds; round++) {
        const created = await bed.consumer.sdk({
          method: 'POST',
          url: '/v1/{project_id}/ports',
          data: {
            port: {
              network_id: netC.subnetId,
              fixed_ips: [{ ip_address: clientAddress(mode, round) }],
              device_owner: 'compute:az1',
            },
          },
        });
        clientPorts.push(String((created.port as { id: string }).id));
      }
    }
    const measure = async (round: number): Promise<Result> => {
      const client = clientAddress(mode, round);
      const marks: { edge: string; at: number; bytes: number }[] = [];
      const reads: Promise<void>[] = [];
      const load = start(
        asInstance(clientPorts[round], [
          LOAD,
          ...['--host', endpointIp, '--sink-port', '5001', '--echo-port', '5002', '--client', client],
          ...['--seconds', String(opts.seconds), '--streams', String(opts.streams)],
          ...['--concurrency', String(opts.concurrency)],
        ]),
      );
      const last = await lines(
        load,
        (l) => l.startsWith('{"rate":'),
        (l) => {
          const m = JSON.parse(l) as { mark?: string; edge?: string };
          if (m.mark !== 'bulk') return;
          const at = performance.now();
          reads.push(sinkBytes().then((bytes) => void marks.push({ edge: m.edge ?? '', at, bytes })));
        },
      );
      await Promise.all(reads);
      const s = marks.find((m) => m.edge === 'start');
      const e = marks.find((m) => m.edge === 'end');
      const out = JSON.parse(last) as { rate: number; rateErrors: number; bulkErrors: number };
      const bulkMBps = s && e ? (e.bytes - s.bytes) / 1e6 / ((e.at - s.at) / 1000) : 0;
      return { mode, bulkMBps, connPerS: out.rate, errors: out.rateErrors + out.bulkErrors };
    };
    return { measure, close };
  } catch (err) {
    await close();
    throw err;
  }

  async function close(): Promise<void> {
    // SIGTERM, then SIGKILL after 5 s; one that already died (by a signal too) is left alone.
    for (const c of started.reverse()) await stopChild(c);
    if (mode === 'namespaces') await removeAll(namespacesKernel(), new NetnsNames(PREFIX));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why this machine cannot run namespaces mode (not root, no ip or nft), or undefined when it can. */
export function namespacesUnavailable(): string | undefined {
  try {
    namespacesKernel();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface ModeSummary {
  mode: Mode;
  /** Medians of the rounds. */
  bulk: number;
  rate: number;
  errors: number;
  all: Result[];
}

export interface Comparison {
  summary: ModeSummary[];
  /** Medians of the per-round ratios, namespaces ÷ loopback. */
  bulkRatio: number;
  rateRatio: number;
  /** Whether every round of both modes carried traffic. */
  carried: boolean;
}

/** Both modes side by side, measured in interleaved rounds; everything made is removed, however it ends. */
export async function compareModes(opts: ComparisonOptions): Promise<Comparison> {
  // What a run that was killed may have left (its namespaces, links and rules) goes first.
  await removeAll(namespacesKernel(), new NetnsNames(PREFIX));
  const results: Result[] = [];
  const loopback = await setup('loopback', opts);
  try {
    const namespaces = await setup('namespaces', opts);
    try {
      // Interleaved rounds: the other load on the machine weighs on both modes alike.
      for (let i = 0; i < opts.rounds; i++) {
        results.push(await loopback.measure(i));
        results.push(await namespaces.measure(i));
      }
    } finally {
      await namespaces.close();
    }
  } finally {
    await loopback.close();
  }
  const of = (mode: Mode) => results.filter((r) => r.mode === mode);
  const summary = (['loopback', 'namespaces'] as const).map((mode) => ({
    mode,
    bulk: median(of(mode).map((r) => r.bulkMBps)),
    rate: median(of(mode).map((r) => r.connPerS)),
    errors: of(mode).reduce((n, r) => n + r.errors, 0),
    all: of(mode),
  }));
  const ratios = of('namespaces').map((n, i) => {
    const l = of('loopback')[i];
    return l ? [n.bulkMBps / l.bulkMBps, n.connPerS / l.connPerS] : [0, 0];
  });
  return {
    summary,
    bulkRatio: median(ratios.map((r) => r[0] ?? 0)),
    rateRatio: median(ratios.map((r) => r[1] ?? 0)),
    carried: results.every((r) => r.bulkMBps > 0 && r.connPerS > 0),
  };
}

/** The modes' medians and every round, then the ratios. */
export function comparisonReport(c: Comparison): string {
  return [
    table([
      ['Mode (median of rounds)', 'Bulk TCP MB/s', 'New connections/s', 'Errors', 'Rounds (bulk / conn/s)'],
      ...c.summary.map((r) => [
        r.mode,
        fmtInt(r.bulk),
        fmtInt(r.rate),
        String(r.errors),
        r.all.map((x) => `${fmtInt(x.bulkMBps)}/${fmtInt(x.connPerS)}`).join(' '),
      ]),
    ]),
    `Namespaces ÷ loopback (median of per-round ratios): bulk ${c.bulkRatio.toFixed(2)}×, ` +
      `conn/s ${c.rateRatio.toFixed(2)}×`,
  ].join('\n');
}

/**
 * Figure n. of bench/dataplane.ts, printed: namespaces mode ÷ loopback mode,
 * once every process of the bench's other figures has stopped (it starts two
 * servers of its own). Root only: elsewhere it says why not.
 */
export async function namespacesFigure(
  opts: ComparisonOptions,
  failures: string[],
): Promise<{ bulk: number; rate: number } | { unavailable: string }> {
  const why = namespacesUnavailable();
  console.log(
    `\nn. namespaces mode ÷ loopback mode: bulk TCP and new connections/s through one endpoint, ` +
      `in ${opts.rounds} interleaved rounds (two VPCs with the same CIDR; vpcep from its sources)`,
  );
  if (why !== undefined) {
    console.log(`  not measured: ${why}`);
    return { unavailable: why };
  }
  try {
    // Bounded, so that the table of goals is printed whatever happens here.
    const limitMs = (120 + opts.rounds * 2 * (2 * opts.seconds + 10)) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const c = await Promise.race([
      compareModes(opts),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no result after ${limitMs / 1000} s`)), limitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    console.log(comparisonReport(c));
    if (!c.carried) failures.push('namespaces ÷ loopback: a round carried nothing');
    return { bulk: c.bulkRatio, rate: c.rateRatio };
  } catch (err) {
    failures.push(`namespaces ÷ loopback: ${err instanceof Error ? err.message : String(err)}`);
    return { unavailable: 'failed (above)' };
  }
}
