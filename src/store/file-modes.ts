import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// The SQLite file holds every secret key in plain text and the token-signing
// secret; credentials.csv and demo-account.json beside it hold the demo login. Only the user running
// vpcep may read them: the folder is 0700, the files 0600. Files SQLite creates
// later (-wal, -shm, -journal) take the database file's mode, so creating that
// file private before SQLite opens it keeps them private too.

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const OTHERS = 0o077;
const STICKY = 0o1000;

/** Beside the database: what vpcep itself writes into its data folder. */
export const CREDENTIALS_FILE = 'credentials.csv';
/** The demo account's whole login (password and project too), for `vpcep env` and `vpcep credentials`. */
export const DEMO_ACCOUNT_FILE = 'demo-account.json';

export interface ModeWarning {
  path: string;
  message: string;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

function sqliteFamily(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}

function tighten(path: string, target: number, warnings: ModeWarning[]): void {
  const mode = statSync(path).mode;
  if ((mode & OTHERS) === 0) return;
  chmodSync(path, target);
  warnings.push({
    path,
    message: `${path} was open to other users (mode ${octal(mode)}); changed to ${octal(target)}`,
  });
}

/**
 * A folder is ours to tighten only if it holds nothing but vpcep's files: the
 * database may have been put straight into a shared folder (`sqlite:/tmp/x.db`,
 * a home directory), whose mode is not vpcep's business.
 */
function holdsOnlyOurFiles(dir: string, file: string): boolean {
  const ours = new Set([...sqliteFamily(file).map((f) => basename(f)), CREDENTIALS_FILE, DEMO_ACCOUNT_FILE]);
  return readdirSync(dir).every((name) => ours.has(name));
}

/**
 * Creates the data folder (0700) and an empty database file (0600) if missing,
 * and takes group and other permissions away from existing ones, returning a
 * warning per change. Call before SQLite opens `file`.
 */
export function secureSqliteFiles(file: string): ModeWarning[] {
  const warnings: ModeWarning[] = [];
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } else {
    const mode = statSync(dir).mode;
    if ((mode & OTHERS) !== 0 && (mode & STICKY) === 0) {
      if (holdsOnlyOurFiles(dir, file)) tighten(dir, PRIVATE_DIR, warnings);
      else
        warnings.push({
          path: dir,
          message: `the data folder ${dir} is open to others (mode ${octal(mode)}) and holds other files, so its mode is left alone; the database files in it are made private`,
        });
    }
  }
  // 'a' creates the file with the mode given and leaves an existing one untouched.
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  for (const path of [...sqliteFamily(file), join(dir, CREDENTIALS_FILE), join(dir, DEMO_ACCOUNT_FILE)]) {
    if (existsSync(path)) tighten(path, PRIVATE_FILE, warnings);
  }
  return warnings;
}
