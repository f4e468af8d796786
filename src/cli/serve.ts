import { ConfigError, loadConfig, parseRoles } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { loggerOptions } from '../logging/logger-options.ts';
import { HeldLines, prettyStream, type LineSink } from '../logging/pretty.ts';
import { TurnLines } from '../logging/turn-lines.ts';
import { startServer, type Running } from '../main.ts';

// `vpcep serve`: loaded by main.ts only for this command, since it brings in
// the whole server. The banner (the demo login, where the server listens) comes
// first; log lines made while starting are held until it has been printed.

export interface ServeOptions {
  config?: string;
  listen?: string;
  database?: string;
  roles?: string;
  logLevel?: string;
  logFormat?: string;
}

function configFrom(opts: ServeOptions): Config {
  try {
    return loadConfig({
      file: opts.config,
      overrides: {
        ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
        ...(opts.database !== undefined ? { database: opts.database } : {}),
        // The schema checks the names and values, so a typo fails like any other bad key.
        ...(opts.roles !== undefined ? { roles: parseRoles(opts.roles) as Config['roles'] } : {}),
        ...(opts.logLevel !== undefined ? { log_level: opts.logLevel as Config['log_level'] } : {}),
        ...(opts.logFormat !== undefined ? { log_format: opts.logFormat as Config['log_format'] } : {}),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) exitWith(2, err.message);
    throw err;
  }
}

/**
 * The log's own stdout writer (it writes a turn's lines at the end of the turn).
 * Whatever serve prints itself, on stdout or stderr, first lets it write what is
 * pending, so the log and serve's own lines keep the order they were made in.
 */
let logOut: TurnLines | undefined;
const flushLog = () => logOut?.flush();

function exitWith(code: number, message: string): never {
  flushLog();
  process.stderr.write(`vpcep: ${message}\n`);
  process.exit(code);
}

/** Where log lines go: pretty text on a terminal (or when asked), JSON lines otherwise. */
function logSink(config: Config, out: LineSink): LineSink {
  const tty = process.stdout.isTTY === true;
  const format = config.log_format === 'auto' ? (tty ? 'pretty' : 'json') : config.log_format;
  if (format === 'json') return out;
  const color = tty && (process.env.NO_COLOR ?? '') === '';
  return prettyStream(out, { color });
}

function printBanner(config: Config, running: Running): void {
  flushLog();
  process.stdout.write(
    `vpcep listening on ${running.url} (region ${config.region}, roles ${running.roles.join(',')})\n`,
  );
  if (running.metricsUrl !== `${running.url}/metrics`) {
    process.stdout.write(
      `vpcep metrics and health checks on ${running.metricsUrl.replace(/\/metrics$/, '')}\n`,
    );
  }
  const dns = running.dataplane?.dns?.address;
  if (dns) process.stdout.write(`vpcep DNS for zone ${config.dns.zone} on ${dns.host}:${dns.port}\n`);
  const dnsError = running.dataplane?.dnsError;
  if (dnsError) process.stderr.write(`vpcep: warning: ${dnsError}; set dns.listen or VPCEP_DNS_LISTEN\n`);
}

function stopOnSignals(running: Running): void {
  let stopping = false;
  const stop = (signal: string) => {
    flushLog();
    if (stopping) {
      // A second signal: the operator does not want to wait for a clean shutdown.
      process.stderr.write(`vpcep: ${signal} received again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`vpcep: ${signal} received, shutting down\n`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        flushLog();
        process.stderr.write(`vpcep: error while shutting down: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export async function serve(opts: ServeOptions): Promise<void> {
  const config = configFrom(opts);
  // One write per turn of the event loop, whatever the format (logging/turn-lines.ts).
  logOut = new TurnLines(process.stdout);
  const log = new HeldLines(logSink(config, logOut));
  let running: Running;
  try {
    running = await startServer(config, {
      logger: loggerOptions(config.log_level, log),
      announce: (text) => {
        flushLog();
        process.stdout.write(text + '\n');
      },
    });
  } catch (err) {
    // What the server logged on its way down explains the failure: show it first.
    log.release();
    flushLog();
    if (err instanceof ConfigError) exitWith(2, err.message);
    throw err;
  }
  // Installed before the listening line: whoever waits for that line may signal at once.
  stopOnSignals(running);
  printBanner(config, running);
  log.release();
}
