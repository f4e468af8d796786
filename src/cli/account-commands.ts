import type { Command } from 'commander';
import { join } from 'node:path';
import { normalizeEndpoint } from '../client/fetch-transport.ts';
import { actLocal, command } from './context.ts';
import type { DemoLocation } from './demo-account.ts';
import { parseFormat, Printer } from './output.ts';
import { str } from './parse.ts';
import { checkCredentials, DEFAULT_ENDPOINT, ENV, readProfile, writeProfile } from './profiles.ts';
import { ask, askSecret, firstLineOfStdin } from './prompt.ts';
import { exportLines } from './shell.ts';
import { UsageError } from './usage.ts';

// configure, env and credentials: where the client commands' credentials come
// from, and the demo account a fresh server made.

/** Where the demo account is found, and the endpoint (`what` the command does with it). */
function withDemoOptions(cmd: Command, what: string): Command {
  return cmd
    .option(
      '--data-dir <dir>',
      "the server's data folder (default: the database folder of its configuration)",
    )
    .option('-c, --config <file>', "the server's configuration file (default: $VPCEP_CONFIG)")
    .option(
      '--endpoint <url>',
      `the API endpoint to ${what} (default: from the configuration's listen address)`,
    );
}

function demoEndpoint(location: DemoLocation, given: unknown): string {
  const endpoint = str(given) ?? location.endpoint ?? process.env[ENV.endpoint] ?? DEFAULT_ENDPOINT;
  return normalizeEndpoint(endpoint);
}

async function demoOf(o: Record<string, unknown>) {
  const { locateDemoAccount, readDemoAccount } = await import('./demo-account.ts');
  const location = locateDemoAccount({ dataDir: str(o.dataDir), config: str(o.config) });
  return { location, account: readDemoAccount(location.file), endpoint: demoEndpoint(location, o.endpoint) };
}

function registerEnv(program: Command): void {
  actLocal(
    withDemoOptions(
      command(program, 'env', 'print `export` lines for the demo account (eval "$(vpcep env)")'),
      'print',
    ).option('--profile <name>', "print a profile's credentials instead"),
    async (_, o) => {
      const profile = str(o.profile);
      if (profile !== undefined) {
        const p = readProfile(profile);
        const given = str(o.endpoint);
        const endpoint = given !== undefined ? normalizeEndpoint(given) : p.endpoint;
        process.stdout.write(exportLines({ ...p, endpoint }));
        return;
      }
      const { account, endpoint } = await demoOf(o);
      process.stdout.write(
        exportLines({ endpoint, ak: account.ak, sk: account.sk, projectId: account.project_id }),
      );
    },
  );
}

function registerCredentials(program: Command): void {
  actLocal(
    withDemoOptions(
      command(program, 'credentials', 'show where the demo account is kept and print its login and keys'),
      'print',
    ).option('-o, --output <format>', 'table, json, yaml or id (default: table on a terminal, else json)'),
    async (_, o) => {
      const { location, account, endpoint } = await demoOf(o);
      const print = new Printer(parseFormat(str(o.output), process.stdout.isTTY === true));
      print.one({
        endpoint,
        account: account.domain,
        user: account.user,
        password: account.password,
        project: account.project_name,
        project_id: account.project_id,
        ak: account.ak,
        sk: account.sk,
        account_file: location.file,
        keys_file: join(location.dataDir, 'credentials.csv'),
      });
    },
  );
}

interface Answers {
  endpoint?: string | undefined;
  ak?: string | undefined;
  sk?: string | undefined;
  projectId?: string | undefined;
}

/** What `configure` starts from: the flags, over the environment or the demo account when asked. */
async function startingPoint(o: Record<string, unknown>): Promise<Answers> {
  const env = process.env;
  let base: Answers = {};
  if (o.fromEnv) {
    base = { endpoint: env[ENV.endpoint], ak: env[ENV.ak], sk: env[ENV.sk], projectId: env[ENV.projectId] };
  } else if (o.fromDemo) {
    const { account, endpoint } = await demoOf(o);
    base = { endpoint, ak: account.ak, sk: account.sk, projectId: account.project_id };
  }
  return {
    endpoint: str(o.endpoint) ?? base.endpoint,
    ak: str(o.ak) ?? base.ak,
    sk: base.sk,
    projectId: str(o.projectId) ?? base.projectId,
  };
}

function registerConfigure(program: Command): void {
  actLocal(
    withDemoOptions(
      command(
        program,
        'configure',
        'write a profile (0600, in $VPCEP_HOME/profiles or ~/.vpcep/profiles); the secret key is asked for, ' +
          'or read from standard input, never taken from the command line',
      ),
      'store',
    )
      .option('--profile <name>', 'profile name', 'default')
      .option('--ak <ak>', 'access key')
      .option('--project-id <id>', 'project id')
      .option('--from-env', `take the values from ${ENV.ak}, ${ENV.sk}, ${ENV.projectId} and ${ENV.endpoint}`)
      .option('--from-demo', "take the values from the local server's demo account"),
    async (_, o) => {
      const answers = await startingPoint(o);
      const interactive = process.stdin.isTTY === true;
      if (interactive) {
        answers.endpoint = await ask('API endpoint', answers.endpoint ?? DEFAULT_ENDPOINT);
        answers.ak ??= await ask('Access key (AK)');
        answers.sk ??= await askSecret('Secret key (SK)');
        answers.projectId ??= await ask('Project id');
      } else if (answers.sk === undefined) {
        answers.sk = await firstLineOfStdin();
      }
      const endpoint = normalizeEndpoint(answers.endpoint ?? DEFAULT_ENDPOINT);
      const missing = Object.entries({
        '--ak': answers.ak,
        'the secret key': answers.sk,
        '--project-id': answers.projectId,
      })
        .filter(([, v]) => !v)
        .map(([k]) => k);
      if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`);
      const creds = checkCredentials(
        { endpoint, ak: answers.ak ?? '', sk: answers.sk ?? '', projectId: answers.projectId ?? '' },
        'configure',
      );
      const file = writeProfile(String(o.profile), creds);
      process.stderr.write(`vpcep: profile ${String(o.profile)} written to ${file}\n`);
    },
  );
}

export function registerAccountCommands(program: Command): void {
  registerConfigure(program);
  registerEnv(program);
  registerCredentials(program);
}
