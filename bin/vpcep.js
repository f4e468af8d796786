#!/usr/bin/env node
// Entry point of the `vpcep` command: runs the compiled JavaScript in dist/,
// which `npm ci` (its `prepare` step) or `npm run build` writes.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('vpcep: dist/ holds no build; run `npm run build` in the checkout first\n');
  process.exit(1);
}
await import(main.href);
