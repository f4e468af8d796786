import type { Command } from 'commander';
import { ApiError, ConnectionError, InvalidInput } from '../client/errors.ts';
import { VpcepClient } from '../client/index.ts';
import { signedTransport } from '../client/signed-transport.ts';
import { WaitError, type WaitOptions } from '../client/waiter.ts';
import { parseFormat, Printer, safeText } from './output.ts';
import { resolveCredentials, type ResolvedCredentials } from './profiles.ts';
import { EXIT, exitOnUsageError, UsageError } from './usage.ts';

// What every client command shares: the options that choose credentials and
// output, the signed client built from them, `--wait` with its progress line,
// and one mapping from failures to messages and exit statuses.

export interface Context {
  readonly client: VpcepClient;
  readonly creds: ResolvedCredentials;
  readonly print: Printer;
  /** Runs a wait with the command's `--wait-timeout` and a progress line on a terminal. */
  wait<T>(label: string, run: (opts: WaitOptions) => Promise<T>): Promise<T>;
}

export type Options = Record<string, unknown>;
export type Action = (ctx: Context, args: unknown[], opts: Options) => Promise<void>;

/** A command of the client side: a bad command line exits 2 (help exits 0). */
export function command(parent: Command, spec: string, description: string): Command {
  return parent.command(spec).description(description).exitOverride(exitOnUsageError);
}

/** A command holding subcommands (`vpcep services …`). */
export const group = command;

/** Credentials and output: on every API command, and before the command name (globalOptions). */
function clientOptions(cmd: Command): Command {
  return cmd
    .option('--profile <name>', 'credentials of a profile written by `vpcep configure`')
    .option(
      '--endpoint <url>',
      "API endpoint (default: the profile's, else $VPCEP_ENDPOINT, else http://127.0.0.1:8080)",
    )
    .option('-o, --output <format>', 'table, json, yaml or id (default: table on a terminal, else json)');
}

/** A command calling the API: credentials and output options, then `action` in a context. */
export function clientCommand(parent: Command, spec: string, description: string): Command {
  return clientOptions(command(parent, spec, description));
}

/**
 * `vpcep --profile ci vpcs list`: the client options may also come before the
 * command name, as in most cloud CLIs. They are the root's own options, read
 * there only (positional options, so that `configure --profile` and
 * `credentials -o` after the name stay the command's), and handed to a command
 * that has an option of that name; given to one that has none (`vpcep -o json
 * serve`), they are a mistake on the command line, not something to ignore.
 */
export function globalOptions(program: Command): void {
  clientOptions(program).enablePositionalOptions();
  program.hook('preAction', (root, action) => {
    if (action === root) return;
    for (const option of root.options) {
      const key = option.attributeName();
      if (root.getOptionValue(key) === undefined) continue;
      if (!action.options.some((o) => o.attributeName() === key)) {
        process.stderr.write(
          `vpcep: option '${option.long ?? key}' does not apply to '${commandPath(action)}'\n`,
        );
        process.exit(EXIT.usage);
      }
    }
  });
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A command's options with those given before its name (globalOptions): the
 * command's own win, except its defaults, which give way to a value given there.
 */
export function optionsOf(cmd: Command): Options {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  const out: Options = {};
  for (const c of chain) {
    for (const [key, value] of Object.entries(c.opts())) {
      if (value === undefined || (key in out && c.getOptionValueSource(key) === 'default')) continue;
      out[key] = value;
    }
  }
  return out;
}

export function withWaitTimeout(cmd: Command): Command {
  return cmd.option('--wait-timeout <seconds>', 'give up waiting after this long (exit 4)', '600');
}

/** Adds `--wait` and `--wait-timeout` to a command whose effect is asynchronous. */
export function waitable(cmd: Command, what: string): Command {
  return withWaitTimeout(cmd.option('--wait', `wait until ${what}`));
}

function seconds(value: unknown): number {
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 86_400) {
    throw new UsageError(`invalid --wait-timeout '${String(value)}': seconds between 0 and 86400`);
  }
  return n * 1000;
}

/** A line on stderr rewritten in place, only when stderr is a terminal. */
class ProgressLine {
  private shown = false;
  constructor(private readonly label: string) {}

  update = (status: string, elapsedMs: number): void => {
    if (!process.stderr.isTTY) return;
    process.stderr.write(
      `\r\x1b[K${safeText(this.label)}: ${safeText(status)} (${Math.round(elapsedMs / 1000)} s)`,
    );
    this.shown = true;
  };

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

export type CredentialSource = (opts: Options) => ResolvedCredentials | Promise<ResolvedCredentials>;

/** --profile, else the environment, else the `default` profile (profiles.ts). */
export const configuredCredentials: CredentialSource = (opts) =>
  resolveCredentials({
    profile: opts.profile as string | undefined,
    endpoint: opts.endpoint as string | undefined,
  });

async function contextOf(opts: Options, source: CredentialSource): Promise<Context> {
  const creds = await source(opts);
  const client = new VpcepClient(signedTransport(creds), creds.projectId);
  const print = new Printer(parseFormat(opts.output as string | undefined, process.stdout.isTTY === true));
  const timeoutMs = opts.waitTimeout !== undefined ? seconds(opts.waitTimeout) : 600_000;
  return {
    client,
    creds,
    print,
    async wait(label, run) {
      const line = new ProgressLine(label);
      try {
        return await run({ timeoutMs, intervalMs: 500, onProgress: line.update });
      } finally {
        line.clear();
      }
    },
  };
}

/** The message and exit status for a failure of a client command. */
export function failure(err: unknown): { message: string; code: number } {
  if (err instanceof ApiError) {
    const where = `HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''}`;
    const what = err.errorCode ? `${err.errorCode}: ${err.errorMsg}` : err.errorMsg;
    return { message: `${safeText(what)} (${safeText(where)})`, code: EXIT.apiError };
  }
  if (err instanceof WaitError) {
    return { message: safeText(err.message), code: err.timedOut ? EXIT.waitTimeout : EXIT.waitFailed };
  }
  if (err instanceof UsageError || err instanceof InvalidInput)
    return { message: err.message, code: EXIT.usage };
  if (err instanceof ConnectionError) return { message: err.message, code: EXIT.apiError };
  return { message: err instanceof Error ? err.message : String(err), code: EXIT.apiError };
}

export function report(err: unknown): void {
  const { message, code } = failure(err);
  process.stderr.write(`vpcep: ${message}\n`);
  process.exitCode = code;
}

/**
 * Runs `each` for every item, all of them even when some fail (each failure
 * is reported, the exit status says one did), and prints what succeeded.
 */
export async function eachOf<T>(items: string[], each: (item: string) => Promise<T>): Promise<T[]> {
  const done: T[] = [];
  for (const item of items) {
    try {
      done.push(await each(item));
    } catch (err) {
      report(err);
    }
  }
  return done;
}

/**
 * `delete ID…`: starts every deletion (eachOf), then with `--wait` waits for
 * each started one to be gone.
 */
export async function deleteEach(
  ids: string[],
  wait: boolean,
  remove: (id: string) => Promise<void>,
  gone: (id: string) => Promise<unknown>,
): Promise<void> {
  const started = await eachOf(ids, async (id) => {
    await remove(id);
    return id;
  });
  if (wait) await eachOf(started, gone);
}

/**
 * Ends the process once stdout and stderr are flushed: fetch keeps idle
 * connections open for seconds, which would hold a finished command.
 */
function finish(): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit()));
}

/** Runs `action` with the command's positional arguments and options; failures set the exit status. */
export function act(cmd: Command, action: Action, source: CredentialSource = configuredCredentials): Command {
  return cmd.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    const opts = optionsOf(self);
    try {
      await action(await contextOf(opts, source), self.processedArgs as unknown[], opts);
    } catch (err) {
      report(err);
    }
    finish();
  });
}

/** Runs `action` without an API client (configure, env, completion…). */
export function actLocal(cmd: Command, action: (args: unknown[], opts: Options) => Promise<void>): Command {
  return cmd.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    try {
      await action(self.processedArgs as unknown[], optionsOf(self));
    } catch (err) {
      report(err);
    }
    finish();
  });
}
