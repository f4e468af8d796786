import { Command } from 'commander';
import { ConfigError, loadConfig, parseRoles } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { loggerOptions } from '../logging/logger-options.ts';
import { startServer } from '../main.ts';
import { ExecError, execInPort } from './exec.ts';

// The `vpcep` command. Only `serve` for now; by default it runs every role in one process.

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
  .action(async (opts: { config?: string; listen?: string; database?: string; roles?: string }) => {
    let config;
    try {
      config = loadConfig({
        file: opts.config,
        overrides: {
          ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
          ...(opts.database !== undefined ? { database: opts.database } : {}),
          // The schema checks the names, so a typo fails like any other bad key.
          ...(opts.roles !== undefined ? { roles: parseRoles(opts.roles) as Config['roles'] } : {}),
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`vpcep: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const running = await startServer(config, {
      logger: loggerOptions(config.log_level),
      announce: (text) => process.stdout.write(text + '\n'),
    });
    process.stdout.write(
      `vpcep listening on ${running.url} (region ${config.region}, roles ${running.roles.join(',')})\n`,
    );
    const dns = running.dataplane?.dns?.address;
    if (dns) process.stdout.write(`vpcep DNS for zone ${config.dns.zone} on ${dns.host}:${dns.port}\n`);
    const dnsError = running.dataplane?.dnsError;
    if (dnsError) process.stderr.write(`vpcep: warning: ${dnsError}; set dns.listen or VPCEP_DNS_LISTEN\n`);
    let stopping = false;
    const stop = (signal: string) => {
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
          process.stderr.write(`vpcep: error while shutting down: ${String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('exec')
  .description("run a command as an instance: in a port's network (dataplane.network: namespaces)")
  .requiredOption('-p, --port <id>', 'the port (of a compute:* or load-balancer device) to run as')
  .option('-c, --config <file>', 'YAML configuration file (default: $VPCEP_CONFIG, else embedded defaults)')
  .argument('<command...>', 'the command and its arguments (after --)')
  .action(async (command: string[], opts: { port: string; config?: string }) => {
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`vpcep: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
