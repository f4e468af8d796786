import { Command } from 'commander';
import { registerClientCommands } from './commands.ts';
import type { ServeOptions } from './serve.ts';
import { exitOnUsageError } from './usage.ts';

// The `vpcep` command: `serve` runs the server (by default every role in one
// process); the client commands (commands.ts) call its API. The server's code
// is loaded only by `serve`, so a client command starts without it.

const program = new Command();
// Before any subcommand is added: each inherits it, so a mistake anywhere exits 2.
program.name('vpcep').description('Self-hostable VPC Endpoint service').exitOverride(exitOnUsageError);

program
  .command('serve')
  .description('run the API (and its background work) on the configured address')
  .option('-c, --config <file>', 'YAML configuration file (default: $VPCEP_CONFIG, else embedded defaults)')
  .option('-l, --listen <host:port>', 'address to listen on (overrides the file and $VPCEP_LISTEN)')
  .option('-d, --database <url>', 'sqlite:PATH or postgres://… (overrides the file and $VPCEP_DATABASE_URL)')
  .option(
    '-r, --roles <list>',
    'comma-separated subset of api,jobs,dataplane,dns (default: all; overrides the file and $VPCEP_ROLES)',
  )
  .option(
    '--log-level <level>',
    'fatal|error|warn|info|debug|trace|silent; warn and above leave out the request lines (overrides the file and $VPCEP_LOG_LEVEL)',
  )
  .option(
    '--log-format <format>',
    'pretty (for people) or json (one object a line); default: pretty on a terminal, else json',
  )
  .action(async (opts: ServeOptions) => {
    const { serve } = await import('./serve.ts');
    await serve(opts);
  });

program
  .command('exec')
  .description("run a command as an instance: in a port's network (dataplane.network: namespaces)")
  .requiredOption('-p, --port <id>', 'the port (of a compute:* or load-balancer device) to run as')
  .option('-c, --config <file>', 'YAML configuration file (default: $VPCEP_CONFIG, else embedded defaults)')
  .argument('<command...>', 'the command and its arguments (after --)')
  .action(async (command: string[], opts: { port: string; config?: string }) => {
    // Loaded here, like serve, so that other commands start without the configuration code.
    const [{ ExecError, execInPort }, { ConfigError }] = await Promise.all([
      import('./exec.ts'),
      import('../config/load.ts'),
    ]);
    try {
      process.exitCode = await execInPort({ port: opts.port, config: opts.config, command });
    } catch (err) {
      if (err instanceof ExecError || err instanceof ConfigError) {
        process.stderr.write(`vpcep: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
  });

registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`vpcep: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
