// The opentelekomcloud Terraform provider's client side, as far as sign-in goes,
// written from gophertelekomcloud's sources: requests signed in the
// Credential= form with X-Project-Id added after signing, the endpoint look-up
// in a catalog (`V3EndpointURL`) and the URL each service client builds from it.
import type { CatalogEndpoint, CatalogEntry } from '../../src/identity/catalog/catalog.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { gopherSign } from '../auth/gopher-signer.ts';

export type { CatalogEntry };

/**
 * `V3EndpointURL`: entries of the type, endpoints of the interface whose
 * `region` (not `region_id`) equals the client's region when it has one, `*` as a
 * fallback; the first match, with a trailing slash added. Undefined where the Go
 * client fails with ErrEndpointNotFound.
 */
export function locateEndpoint(
  catalog: readonly CatalogEntry[],
  type: string,
  region: string,
  availability = 'public',
): string | undefined {
  const exact: CatalogEndpoint[] = [];
  const wildcard: CatalogEndpoint[] = [];
  for (const entry of catalog) {
    if (entry.type !== type) continue;
    for (const e of entry.endpoints) {
      if (e.interface !== availability) continue;
      if (region === '' || e.region === region) exact.push(e);
      else if (e.region === '*') wildcard.push(e);
    }
  }
  const found = (exact.length > 0 ? exact : wildcard)[0];
  if (!found) return undefined;
  return found.url.endsWith('/') ? found.url : `${found.url}/`;
}

/** Where each client's resource paths start, given its catalog URL. */
export const resourceBase = {
  /** NewVpcEpV1: the URL as is; `ServiceURL("vpc-endpoint-services")` appends. */
  vpcep: (url: string) => url,
  /** NewNetworkV1: `v1/`, and the resources add the project themselves. */
  networkV1: (url: string, projectId: string) => `${url}v1/${projectId}/`,
  /** NewIdentityV3: `v3/` unless the URL already ends in it. */
  identityV3: (url: string) => (url.endsWith('v3/') ? url : `${url}v3/`),
  /** NewVpcV3: the first `v1` becomes `v3`, then `vpc/`. */
  vpcV3: (url: string) => `${url.replace('v1', 'v3')}vpc/`,
};

/** The user agent of the provider (its own name prepended to the SDK's). */
export const USER_AGENT = 'terraform-provider-opentelekomcloud/1.36.0 golangsdk/2.0.0';

export interface GoCall {
  method: string;
  url: string;
  /** JSON body bytes; omitted for a nil body. */
  body?: string;
  ak: string;
  sk: string;
  /** Added after signing, unsigned, as the provider's project client does. */
  projectId?: string;
  /** Headers to change after signing (a replayer's edits). */
  tamper?: Record<string, string>;
  at?: number;
}

export interface GoWire {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The bytes the Go client puts on the wire for `call`, to send as is or altered. */
export function goSigned(call: GoCall): GoWire {
  const signed = gopherSign({
    method: call.method,
    url: call.url,
    headers: {
      ...(call.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    },
    ...(call.body !== undefined ? { body: call.body } : {}),
    ak: call.ak,
    sk: call.sk,
    at: call.at ?? Date.now(),
  });
  return {
    method: call.method,
    url: call.url,
    headers: {
      ...signed.headers,
      ...(call.projectId !== undefined ? { 'X-Project-Id': call.projectId } : {}),
      ...call.tamper,
    },
    ...(call.body !== undefined ? { body: call.body } : {}),
  };
}

export function send(wire: GoWire): Promise<RawResponse> {
  return rawRequest(wire);
}

export function goRequest(call: GoCall): Promise<RawResponse> {
  return send(goSigned(call));
}
