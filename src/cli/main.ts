import { Command } from 'commander';
import { registerClientCommands } from './commands.ts';
import type { ServeOptions } from './serve.ts';

// The `vpcep` command: `serve` runs the server (by default every role in one
// process); the client commands (commands.ts) call its API. The server's code
// is loaded only by `serve`, so a client command starts without it.

const program = new Command();
program.name('vpcep').description('Self-hostable VPC Endpoint service');

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

registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`vpcep: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
