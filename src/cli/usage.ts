import type { CommanderError } from 'commander';

// Exit statuses of the client commands, and the error for a bad command line.

export const EXIT = {
  ok: 0,
  /** The API answered an error, or could not be reached. */
  apiError: 1,
  /** The command line, a profile or an input file is wrong; nothing was sent. */
  usage: 2,
  /** A waited-for resource ended `failed` or `rejected`. */
  waitFailed: 3,
  /** `--wait-timeout` passed first. */
  waitTimeout: 4,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** For commander's exitOverride: help exits 0, any mistake on the command line exits 2. */
export function exitOnUsageError(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
}
