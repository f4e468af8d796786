#!/usr/bin/env node
// Entry point of the `vpcep` command: runs the TypeScript sources through tsx,
// so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
