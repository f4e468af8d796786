// Drives the server through the official Huawei Cloud SDK core, so every
// request is signed exactly as users' SDK calls are.
import './quiet-sdk.ts';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';

export interface SdkCredentials {
  ak: string;
  sk: string;
  projectId: string;
}

export interface SdkCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template as the generated clients write it, e.g. `/v1/{project_id}/vpcs`. */
  url: string;
  queryParams?: Record<string, unknown>;
  pathParams?: Record<string, string>;
  data?: unknown;
}

/** What the SDK hands its caller: the parsed body plus `httpStatusCode`. */
export type SdkResult = Record<string, unknown> & { httpStatusCode?: number; getHttpStatusCode?: unknown };

/** The fields the SDK's exception carries for a non-2xx answer. */
export interface SdkError {
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

export function sdkClient(endpoint: string, creds: SdkCredentials): (call: SdkCall) => Promise<SdkResult> {
  const credential = new BasicCredentials().withAk(creds.ak).withSk(creds.sk).withProjectId(creds.projectId);
  const client = new ClientBuilder<HcClient>((hc: HcClient) => hc)
    .withCredential(credential)
    .withEndpoint(endpoint)
    .build();
  return async (call) =>
    client.sendRequest<SdkResult>({
      method: call.method,
      url: call.url,
      contentType: 'application/json',
      queryParams: call.queryParams ?? {},
      pathParams: call.pathParams ?? {},
      headers: {},
      ...(call.data !== undefined ? { data: call.data as Record<string, unknown> } : {}),
    });
}

/** Runs an SDK call expected to fail and returns the SDK's view of the error. */
export async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}
