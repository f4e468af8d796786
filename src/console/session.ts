import { ApiError, ConnectionError, InvalidInput } from '../client/errors.ts';
import type { HttpRequest, Transport } from '../client/http.ts';
import { VpcepClient } from '../client/index.ts';
import { passwordToken, tokenTransport, type Token } from '../client/token-transport.ts';

// The signed-in state of this browser tab: one project-scoped IAM token, kept
// in sessionStorage (this tab only, gone when it closes) and never in a URL.
// The password is sent once to POST /v3/auth/tokens and never kept.

export type Session = Token;

const KEY = 'vpcep.console.session';

/** The API is the server that served the console: no other origin is ever called. */
export const ENDPOINT = location.origin;

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['token', 'projectId', 'expiresAt', 'projectName', 'domainName', 'userName', 'region'].every(
    (k) => typeof v[k] === 'string',
  );
}

/** The tab's session, unless absent, malformed or expired. */
export function loadSession(): Session | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    parsed = undefined;
  }
  if (!isSession(parsed) || parsed.token === '') return undefined;
  const expires = Date.parse(parsed.expiresAt);
  if (Number.isFinite(expires) && expires <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return parsed;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** Sign-out: the token is forgotten (tokens cannot be revoked; it expires by itself). */
export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export interface SignIn {
  account: string;
  user: string;
  password: string;
  /** A project name; the region's project when empty. */
  project: string;
  /** Or a project id (the project picker re-scopes by id). */
  projectId?: string;
}

export async function signIn(input: SignIn, region: string): Promise<Session> {
  const session = await passwordToken(ENDPOINT, {
    domain: input.account,
    user: input.user,
    password: input.password,
    ...(input.projectId !== undefined
      ? { projectId: input.projectId }
      : { projectName: input.project.trim() || region }),
  });
  if (session.token === '') throw new Error('the server answered without a token');
  return { ...session, region: session.region || region };
}

/** What the server tells every client before sign-in (GET /console/settings.json). */
export interface Settings {
  region: string;
}

export async function loadSettings(): Promise<Settings> {
  const response = await fetch('/console/settings.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`the console settings answered HTTP ${response.status}`);
  const body = (await response.json()) as { region?: unknown };
  return { region: typeof body.region === 'string' ? body.region : '' };
}

/**
 * The project's client over the token transport. A 401 means the token expired
 * or its user is gone: `onUnauthorized` returns the tab to the sign-in page.
 */
export function clientFor(session: Session, onUnauthorized: () => void): VpcepClient {
  const inner = tokenTransport(ENDPOINT, session.token);
  const transport: Transport = {
    endpoint: inner.endpoint,
    async send(request: HttpRequest) {
      try {
        return await inner.send(request);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) onUnauthorized();
        throw err;
      }
    },
  };
  return new VpcepClient(transport, session.projectId);
}

/** One sentence for a failed call: what the API said, with its code and request id. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const code = err.errorCode || `HTTP ${err.status}`;
    const request = err.requestId ? `, request ${err.requestId}` : '';
    return `${err.errorMsg} (${code}${request})`;
  }
  if (err instanceof ConnectionError) return `The server cannot be reached: ${err.message}`;
  if (err instanceof InvalidInput) return err.message;
  return err instanceof Error ? err.message : String(err);
}
