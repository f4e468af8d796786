import { ApiError } from './errors.ts';
import type { Endpoint, EndpointService } from './types.ts';

// Waits for the asynchronous transitions the API documents:
//   service:  creating → available | failed;   deleting → gone (404)
//   endpoint: creating → pendingAcceptance | accepted | failed;
//             pendingAcceptance → accepted | rejected (the provider decides);
//             deleting → gone (404)
// Polls with a fixed interval; no timers of node are used (browser-safe).

export type ServiceTarget = 'available' | 'deleted';
/** `settled`: out of `creating` (accepted, or waiting for the provider). */
export type EndpointTarget = 'settled' | 'accepted' | 'deleted';

export interface WaitOptions {
  /** Default 10 minutes. */
  timeoutMs?: number;
  /** Default 1 s. */
  intervalMs?: number;
  /** Called after every poll with the status seen ('deleted' once gone). */
  onProgress?: (status: string, elapsedMs: number) => void;
}

/** The resource reached a state it cannot leave towards the target, or time ran out. */
export class WaitError extends Error {
  readonly status: string;
  readonly timedOut: boolean;

  constructor(message: string, status: string, timedOut: boolean) {
    super(message);
    this.name = 'WaitError';
    this.status = status;
    this.timedOut = timedOut;
  }
}

type Verdict = { done: true } | { done: false; failure?: string };

interface Errors {
  error?: readonly { error_code: string; error_message: string }[];
}

function detail(resource: Errors | undefined): string {
  const first = resource?.error?.[0];
  return first ? ` (${first.error_code}: ${first.error_message})` : '';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function poll<T extends { status: string } & Errors>(
  what: string,
  read: () => Promise<T>,
  judge: (status: string) => Verdict,
  opts: WaitOptions,
): Promise<T | undefined> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const intervalMs = opts.intervalMs ?? 1000;
  const started = Date.now();
  for (;;) {
    let resource: T | undefined;
    try {
      resource = await read();
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
    const status = resource?.status ?? 'deleted';
    const elapsed = Date.now() - started;
    opts.onProgress?.(status, elapsed);
    const verdict = judge(status);
    if (verdict.done) return resource;
    if (verdict.failure !== undefined) {
      throw new WaitError(`${what} is ${status}${detail(resource)}: ${verdict.failure}`, status, false);
    }
    if (elapsed >= timeoutMs) {
      throw new WaitError(`${what} is still ${status} after ${Math.round(elapsed / 1000)} s`, status, true);
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)));
  }
}

function serviceVerdict(target: ServiceTarget, status: string): Verdict {
  if (target === 'deleted') {
    return status === 'deleted' ? { done: true } : { done: false };
  }
  if (status === 'available') return { done: true };
  if (status === 'creating') return { done: false };
  return { done: false, failure: 'it will not become available' };
}

function endpointVerdict(target: EndpointTarget, status: string): Verdict {
  if (target === 'deleted') return status === 'deleted' ? { done: true } : { done: false };
  if (status === 'accepted') return { done: true };
  if (status === 'creating') return { done: false };
  if (status === 'pendingAcceptance') return target === 'settled' ? { done: true } : { done: false };
  return { done: false, failure: 'it will not be accepted' };
}

export interface Reader<T> {
  get(id: string): Promise<T>;
}

/** Waits for a service to be available (answers it) or gone (answers undefined). */
export async function waitForService(
  services: Reader<EndpointService>,
  id: string,
  target: ServiceTarget,
  opts: WaitOptions = {},
): Promise<EndpointService | undefined> {
  return poll(
    `endpoint service ${id}`,
    () => services.get(id),
    (s) => serviceVerdict(target, s),
    opts,
  );
}

/** Waits for an endpoint to settle, be accepted (answers it) or be gone (answers undefined). */
export async function waitForEndpoint(
  endpoints: Reader<Endpoint>,
  id: string,
  target: EndpointTarget,
  opts: WaitOptions = {},
): Promise<Endpoint | undefined> {
  return poll(
    `endpoint ${id}`,
    () => endpoints.get(id),
    (s) => endpointVerdict(target, s),
    opts,
  );
}
