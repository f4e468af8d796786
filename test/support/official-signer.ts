// Signs a request with the official SDK core's own signer (the code path every
// SDK call takes) and returns the exact bytes to send, so tests can send it as
// is or tamper with one part of it.
import { stringify } from 'node:querystring';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { HttpRequestBuilder } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequestBuilder.js';

export interface OfficialSignInput {
  endpoint: string;
  method: string;
  /** Path with `{project_id}` left in place, as the generated clients write it. */
  path: string;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** Default `application/json`; any other makes the SDK sign `UNSIGNED-PAYLOAD`. */
  contentType?: string;
  ak: string;
  sk: string;
  projectId?: string;
  securityToken?: string;
  /** Sign with the derived V11-HMAC-SHA256 scheme for this region and service. */
  derived?: { regionId: string; service: string };
}

export interface SignedWire {
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export async function officialSign(input: OfficialSignInput): Promise<SignedWire> {
  const req = new HttpRequestBuilder()
    .withEndpoint(input.endpoint)
    .withUrl(input.path)
    .withHeaders({ 'content-type': input.contentType ?? 'application/json' })
    .withMethod(input.method)
    .withPathParams({})
    .withData(input.body)
    .withQueryParams(input.query ?? {})
    .build();
  let cred = new BasicCredentials().withAk(input.ak).withSk(input.sk);
  if (input.projectId) cred = cred.withProjectId(input.projectId);
  if (input.securityToken) cred = cred.withSecurityToken(input.securityToken);
  if (input.derived) {
    cred = cred.withDerivedPredicate(() => true);
    cred.processDerivedAuthParams(input.derived.service, input.derived.regionId);
  }
  // processAuthRequest only uses its client argument for federated tokens.
  const signed = (await cred.processAuthRequest(undefined as never, req)) as {
    endpoint: string;
    headers: Record<string, string>;
  };
  const qs = stringify(input.query ?? {});
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  return { url: signed.endpoint + (qs ? `?${qs}` : ''), headers: { ...signed.headers }, body };
}
