import { createPrivateKey, X509Certificate } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError } from './load.ts';
import type { Config } from './schema.ts';

// The certificate and key of `tls`, read once at start. The key must be the
// server's secret: a key file others may read is refused, as ssh refuses such
// a private key, with PostgreSQL's allowance for keys managed by root (group
// read, as Debian's ssl-cert group grants it).

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function read(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read config key '${key}' (${file}): ${(err as Error).message}`);
  }
}

/** Why the key file's mode lets others read it, or undefined when it is private enough. */
export function keyFileProblem(mode: number, uid: number): string | undefined {
  const perms = mode & 0o777;
  const allowed = uid === 0 ? 0o640 : 0o600;
  if ((perms & ~allowed) === 0) return undefined;
  const owner = uid === 0 ? 'root: at most 640' : 'its owner: at most 600';
  return `it may be read or changed by others (mode ${perms.toString(8).padStart(3, '0')}; for a key owned by ${owner})`;
}

export function readTlsFiles(tls: Config['tls']): TlsFiles | undefined {
  if (tls === undefined) return undefined;
  let fd: number;
  try {
    // Non-blocking, so that a FIFO in its place cannot hold the start forever.
    fd = openSync(tls.key_file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ConfigError(
      `cannot read config key 'tls.key_file' (${tls.key_file}): ${(err as Error).message}`,
    );
  }
  let key: Buffer;
  try {
    // The mode of the file that was opened, not of whatever the path names a moment later.
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new ConfigError(`config key 'tls.key_file' (${tls.key_file}) is not a regular file`);
    }
    const problem = keyFileProblem(stat.mode, stat.uid);
    if (problem !== undefined) {
      throw new ConfigError(
        `refusing the TLS key ${tls.key_file}: ${problem}; run chmod 600 ${tls.key_file}`,
      );
    }
    key = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const cert = read(tls.cert_file, 'tls.cert_file');
  checkPair(cert, key, tls);
  return { cert, key };
}

/** Refuses at start what the TLS library would refuse at the first handshake, with the key named. */
function checkPair(cert: Buffer, key: Buffer, tls: NonNullable<Config['tls']>): void {
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // The library's message could quote the key's bytes: only say what is wrong.
    throw new ConfigError(`config key 'tls.key_file' (${tls.key_file}) holds no PEM private key`);
  }
  let certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(
      `config key 'tls.cert_file' (${tls.cert_file}) holds no PEM certificate: ${(err as Error).message}`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`the TLS key ${tls.key_file} does not belong to the certificate ${tls.cert_file}`);
  }
}
