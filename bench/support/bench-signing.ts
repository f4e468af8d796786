// Requests signed by the official SDK signer, as a bench sends them.
import { officialSign } from '../../test/support/official-signer.ts';
import { BENCH_ACCOUNT } from './account.ts';

/** The path (with its query) and headers of `method path` signed for `base`, as the SDK sends them. */
export async function signed(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string> = {},
  body?: unknown,
  keys: { ak: string; sk: string } = BENCH_ACCOUNT,
): Promise<{ path: string; headers: Record<string, string>; body: string | undefined }> {
  const wire = await officialSign({
    endpoint: base,
    method,
    path,
    query,
    ...(body !== undefined ? { body } : {}),
    ak: keys.ak,
    sk: keys.sk,
    projectId: BENCH_ACCOUNT.project.id,
  });
  if (!wire.url.startsWith(base)) throw new Error(`the signer produced an unexpected URL ${wire.url}`);
  return { path: wire.url.slice(base.length), headers: wire.headers, body: wire.body };
}
