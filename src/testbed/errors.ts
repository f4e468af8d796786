import { ConfigError } from '../config/load.ts';

/** A declaration of the test bed that cannot be carried out; `vpcep serve` exits 2 with it. */
export class TestbedError extends ConfigError {
  constructor(label: string, detail: string) {
    super(`test bed: ${label}: ${detail}`);
    this.name = 'TestbedError';
  }
}
