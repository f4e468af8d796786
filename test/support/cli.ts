// Runs the real `vpcep` command in a child process, as a user would, with the
// environment cleared of VPCEP_* settings that could leak in from the caller.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const CLI = join(resolve(import.meta.dirname, '../..'), 'src/cli/main.ts');
// Resolved here, not from the child's working directory, which may hold no node_modules.
const TSX = import.meta.resolve('tsx');

export function runCli(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    ...(cwd !== undefined ? { cwd } : {}),
    // An ephemeral DNS port so that parallel runs (or a developer's own vpcep) do not collide.
    env: {
      ...process.env,
      VPCEP_CONFIG: '',
      VPCEP_LISTEN: '',
      VPCEP_DATABASE_URL: '',
      VPCEP_ROLES: '',
      VPCEP_DNS_LISTEN: '127.0.0.1:0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, output: () => out, errors: () => err };
}
