// The `prepare` step: compiles src/ to dist/ with tsconfig.build.json, and the
// web console to dist/console/ (build-console.js). Where the
// compiler is absent (`npm ci --omit=dev`, an installed package) an existing
// build is kept; without either the install fails, since nothing could run.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entry = join(dist, 'cli', 'main.js');

let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}

if (tsc === undefined) {
  if (existsSync(entry)) {
    process.stdout.write('vpcep: TypeScript is not installed; keeping the existing build in dist/\n');
    process.exit(0);
  }
  process.stderr.write(
    'vpcep: cannot build: TypeScript is not installed and dist/ holds no build ' +
      '(install with dev dependencies, or install the packed tarball)\n',
  );
  process.exit(1);
}

// Compiled into a scratch directory and swapped in whole, so a failed build
// leaves the previous one intact and no file of a removed source lingers.
const scratch = join(root, `.dist-build-${process.pid}`);
rmSync(scratch, { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', scratch], {
  stdio: 'inherit',
});
if (run.status !== 0) {
  rmSync(scratch, { recursive: true, force: true });
  process.stderr.write('vpcep: the build failed; dist/ is unchanged\n');
  process.exit(run.status ?? 1);
}
// The web console (dist/console/), bundled beside the server. Imported here, after
// the compiler check, so a copy of this script alone still reports a missing compiler.
try {
  const { buildConsole } = await import('./build-console.js');
  await buildConsole(join(scratch, 'console'));
} catch (err) {
  rmSync(scratch, { recursive: true, force: true });
  process.stderr.write(
    `vpcep: the console build failed; dist/ is unchanged\n${err instanceof Error ? err.message : err}\n`,
  );
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
renameSync(scratch, dist);
