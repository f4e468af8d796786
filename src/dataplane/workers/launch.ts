/**
 * How the data plane's processes are started: the entry file next to this
 * module with this module's own extension (`.ts` when the server runs from
 * its TypeScript sources through a loader, `.js` when it runs from a build),
 * and the node flags they get. The built server names no loader at all: from
 * sources, the children get the loader flags this process was started with.
 */
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** Flags of this process that must not reach a child: test runner, debugger and watch mode. */
const PARENT_ONLY = /^--(test|inspect|debug|watch)/;

/**
 * V8 flags of the data plane's processes. A young generation of at most 2 MB
 * per semi-space (node's default grows to 16 MB): a forwarder's short-lived
 * garbage is small chunks and their wrappers, and a big young generation is
 * resident memory that a process holding thousands of idle connections keeps.
 */
export const DATAPLANE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

export interface EntryPoint {
  file: string;
  execArgv: string[];
}

/** `name` (e.g. 'worker-main') as a file next to this module, and the flags to run it with. */
export function entryPoint(name: string, execArgv: readonly string[] = process.execArgv): EntryPoint {
  const ext = extname(here);
  const file = join(dirname(here), `${name}${ext}`);
  const flags = childExecArgv(execArgv);
  if (ext === '.ts' && !hasLoaderFlag(flags)) {
    throw new Error(
      `cannot start ${name}: the server runs from TypeScript sources without a loader in its node flags ` +
        '(start it with node --import <loader>, or run the build)',
    );
  }
  // A worker inherits the supervisor's flags, which already hold them.
  const own = DATAPLANE_V8_FLAGS.filter((f) => !flags.includes(f));
  return { file, execArgv: [...flags, ...own] };
}

/** This process's node flags minus those meant for it alone (a flag's value follows it). */
export function childExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i] ?? '';
    if (PARENT_ONLY.test(flag)) {
      // `--inspect-port 9229`: skip the separate value too.
      const next = execArgv[i + 1];
      if (!flag.includes('=') && next !== undefined && !next.startsWith('-')) i++;
      continue;
    }
    out.push(flag);
  }
  return out;
}

/** Whether the flags load a module before the entry (which is how a TypeScript loader is given). */
function hasLoaderFlag(flags: readonly string[]): boolean {
  return flags.some((flag) => /^--(import|loader|experimental-loader|require)(=|$)/.test(flag));
}
