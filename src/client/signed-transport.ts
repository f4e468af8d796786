import { fetchTransport } from './fetch-transport.ts';
import type { Transport } from './http.ts';
import { sign } from './signer.ts';

// The transport of the CLI and of scripts: every request signed with an AK/SK
// pair, carrying the project in X-Project-Id as the official SDKs do.

export interface Credentials {
  endpoint: string;
  ak: string;
  sk: string;
  projectId: string;
}

export interface SignedTransportOptions {
  timeoutMs?: number;
  /** The signing clock (tests move it). */
  now?: () => Date;
}

export function signedTransport(creds: Credentials, opts: SignedTransportOptions = {}): Transport {
  return fetchTransport({
    endpoint: creds.endpoint,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    authorize: (request) => {
      const headers = { ...request.headers, 'x-project-id': creds.projectId };
      const signature = sign(
        { ...request, headers },
        { ak: creds.ak, sk: creds.sk },
        opts.now?.() ?? new Date(),
      );
      return { 'x-project-id': creds.projectId, ...signature.headers };
    },
  });
}
