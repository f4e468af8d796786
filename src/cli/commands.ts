import type { Command } from 'commander';
import { registerAccountCommands } from './account-commands.ts';
import { registerAccessCommands } from './access-commands.ts';
import { registerApiCommand } from './api-command.ts';
import { registerCompletionCommand } from './completion.ts';
import { globalOptions } from './context.ts';
import { registerDemoCommand } from './demo.ts';
import { registerEndpointCommands } from './endpoint-commands.ts';
import { registerServiceCommands } from './service-commands.ts';
import { registerTagCommands } from './tag-commands.ts';
import { registerVpcCommands } from './vpc-commands.ts';

/** The client side of the `vpcep` command (everything but `serve`); docs/cli.md describes each. */
export function registerClientCommands(program: Command): void {
  globalOptions(program);
  registerVpcCommands(program);
  registerServiceCommands(program);
  registerEndpointCommands(program);
  registerAccessCommands(program);
  registerTagCommands(program);
  registerApiCommand(program);
  registerAccountCommands(program);
  registerDemoCommand(program);
  // Last: it describes every command registered before it.
  registerCompletionCommand(program);
}
