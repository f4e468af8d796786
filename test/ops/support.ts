// The real server with its log captured, for the operations suites that check
// what reaches the log (and what must not).
import type { Config } from '../../src/config/schema.ts';
import { startServer, type Running } from '../../src/main.ts';
import { freshDatabase, type TestDatabase, type TestDialect } from '../support/db.ts';
import { testAccount, testConfig, type TestAccount, type TestServerOptions } from '../support/server.ts';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino destination that keeps every line, parsed. */
export function logCapture(): {
  lines: LogLine[];
  text: () => string;
  stream: { write(line: string): void };
} {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  return {
    lines,
    text: () => raw.join(''),
    stream: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  };
}

export interface LoggedServer {
  url: string;
  running: Running;
  config: Config;
  database: TestDatabase;
  log: ReturnType<typeof logCapture>;
  provider: TestAccount;
  consumer: TestAccount;
  close(): Promise<void>;
}

/** The test server of test/support/server.ts, logging at `level` into memory. */
export async function startLoggedServer(
  dialect: TestDialect,
  opts: Pick<TestServerOptions, 'overrides' | 'accountExtras'> & {
    level?: string;
    database?: TestDatabase;
  } = {},
): Promise<LoggedServer> {
  const database = opts.database ?? (await freshDatabase(dialect));
  const log = logCapture();
  let config: Config;
  let running: Running;
  try {
    // Inside the try: a configuration the test means to be refused must not leave the database behind.
    config = testConfig(database.url, opts);
    running = await startServer(config, { logger: { level: opts.level ?? 'info', stream: log.stream } });
  } catch (err) {
    if (!opts.database) await database.drop();
    throw err;
  }
  return {
    url: running.url,
    running,
    config,
    database,
    log,
    provider: testAccount('provider', running.url),
    consumer: testAccount('consumer', running.url),
    async close() {
      await running.close();
      if (!opts.database) await database.drop();
    },
  };
}
