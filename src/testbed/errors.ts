import { ConfigError } from '../config/load.ts';
import { safeText } from '../context/terminal-text.ts';

/**
 * A declaration of the test bed that cannot be carried out; `vpcep serve` exits 2 with it.
 * The detail may echo a declared value: escaped, so a control character in the file cannot
 * drive the operator's terminal.
 */
export class TestbedError extends ConfigError {
  constructor(label: string, detail: string) {
    super(`test bed: ${safeText(label)}: ${safeText(detail)}`);
    this.name = 'TestbedError';
  }
}
