// Logging in to a benchmark's vpcep server, as a client would: POST /v3/auth/tokens.
import { rawRequest } from '../../test/support/http.ts';
import { BENCH_LOGIN_BODY } from './account.ts';
import { describeResponse } from './report.ts';

/** The X-Subject-Token of a password login with `body` (default: the bench account's user). */
export async function login(base: string, body = BENCH_LOGIN_BODY): Promise<string> {
  const res = await rawRequest({
    method: 'POST',
    url: `${base}/v3/auth/tokens?nocatalog=true`,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const token = res.headers['x-subject-token'];
  if (res.status !== 201 || typeof token !== 'string') {
    throw new Error(`login failed: ${describeResponse(res)}`);
  }
  return token;
}
