import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

// The SQLite file holds every secret key in plain text and the token-signing
// secret; credentials.csv and demo-account.json in the data folder (beside it,
// unless data_dir says otherwise) hold the demo login. Only the user running
// vpcep may read them: the folder is 0700, the files 0600. Files SQLite creates
// later (-wal, -shm, -journal) take the database file's mode, so creating that
// file private before SQLite opens it keeps them private too.

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const OTHERS = 0o077;
const STICKY = 0o1000;

/** What vpcep itself writes into its data folder. */
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
 * Creates `dir` (0700) when missing. One open to others is ours to tighten only if it holds
 * nothing but `ours`: the data may have been put straight into a shared folder
 * (`sqlite:/tmp/x.db`, a home directory), whose mode is not vpcep's business; then a warning
 * says so and only the files are made private (`what`).
 */
function secureFolder(dir: string, ours: Set<string>, what: string, warnings: ModeWarning[]): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    return;
  }
  const mode = statSync(dir).mode;
  if ((mode & OTHERS) === 0 || (mode & STICKY) !== 0) return;
  if (readdirSync(dir).every((name) => ours.has(name))) tighten(dir, PRIVATE_DIR, warnings);
  else
    warnings.push({
      path: dir,
      message: `the data folder ${dir} is open to others (mode ${octal(mode)}) and holds other files, so its mode is left alone; ${what} in it are made private`,
    });
}

const DEMO_FILES = [CREDENTIALS_FILE, DEMO_ACCOUNT_FILE];

/**
 * Creates the data folder (0700) and an empty database file (0600) if missing,
 * and takes group and other permissions away from existing ones, returning a
 * warning per change. Call before SQLite opens `file`.
 */
export function secureSqliteFiles(file: string): ModeWarning[] {
  const warnings: ModeWarning[] = [];
  const dir = dirname(file);
  const ours = new Set([...sqliteFamily(file).map((f) => basename(f)), ...DEMO_FILES]);
  secureFolder(dir, ours, 'the database files', warnings);
  // 'a' creates the file with the mode given and leaves an existing one untouched.
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  for (const path of [...sqliteFamily(file), ...DEMO_FILES.map((f) => join(dir, f))]) {
    if (existsSync(path)) tighten(path, PRIVATE_FILE, warnings);
  }
  return warnings;
}

/**
 * The data folder of a store that is not a SQLite file beside it (PostgreSQL, or `data_dir`
 * set apart): created 0700, tightened like the SQLite folder. It must belong to the user
 * running vpcep: in a folder someone else owns, that someone could swap the files under us.
 */
export function secureDataFolder(dir: string): ModeWarning[] {
  if (existsSync(dir)) {
    const owner = statSync(dir).uid;
    if (process.getuid !== undefined && owner !== process.getuid()) {
      throw new Error(`the data folder ${dir} belongs to another user (uid ${owner})`);
    }
  }
  const warnings: ModeWarning[] = [];
  secureFolder(dir, new Set(DEMO_FILES), "vpcep's files", warnings);
  return warnings;
}

/**
 * Writes `text` to a new file readable by its owner only. Whatever was at `file`
 * (an older file with a looser mode, a symbolic link pointing elsewhere) is removed
 * first, and O_EXCL refuses to follow anything put there in between.
 */
export function writePrivateFile(file: string, text: string): void {
  rmSync(file, { force: true });
  writeFileSync(file, text, { mode: PRIVATE_FILE, flag: 'wx' });
}
