import { ENV } from './profiles.ts';

// `export` lines a shell can eval, whatever the values hold.

/** A word the shell reads back as exactly `value`, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function exportLines(vars: { endpoint: string; ak: string; sk: string; projectId: string }): string {
  return (
    [
      [ENV.endpoint, vars.endpoint],
      [ENV.ak, vars.ak],
      [ENV.sk, vars.sk],
      [ENV.projectId, vars.projectId],
    ]
      .map(([name, value]) => `export ${name}=${shellQuote(value ?? '')}`)
      .join('\n') + '\n'
  );
}
