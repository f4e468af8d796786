// The official IAM client against a test server, and the steps the IAM suites
// share: create a user with keys, a group, a custom policy, a grant.
import '../support/quiet-sdk.ts';
import assert from 'node:assert/strict';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { GlobalCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/GlobalCredentials.js';
// The package's main entry also loads its v5 half, which fails to load in this version.
import {
  CreateCloudServiceCustomPolicyRequest,
  CreateCloudServiceCustomPolicyRequestBody,
  CreateCredentialOption,
  CreatePermanentAccessKeyRequest,
  CreatePermanentAccessKeyRequestBody,
  CreateUserOption,
  CreateUserRequest,
  CreateUserRequestBody,
  IamClient,
  KeystoneAddUserToGroupRequest,
  KeystoneAssociateGroupWithProjectPermissionRequest,
  KeystoneCreateGroupOption,
  KeystoneCreateGroupRequest,
  KeystoneCreateGroupRequestBody,
  KeystoneListPermissionsRequest,
  ServicePolicy,
  ServicePolicyRoleOption,
  ServiceStatement,
  UpdateCloudServiceCustomPolicyRequest,
  UpdateCloudServiceCustomPolicyRequestBody,
} from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { rawRequest } from '../support/http.ts';
import { sdkClient, type SdkCall, type SdkError, type SdkResult } from '../support/sdk.ts';
import type { TestDialect } from '../support/db.ts';
import { passwordLogin, startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

/** What the SDK hands back: the raw JSON body plus the status. */
export type Wire = Record<string, unknown> & { httpStatusCode?: number };
const wire = (v: unknown): Wire => v as Wire;
const obj = (v: unknown): Record<string, unknown> => v as Record<string, unknown>;

export interface Keys {
  ak: string;
  sk: string;
}

/** The IAM client as an account's owner builds it: keys plus the account id (X-Domain-Id). */
export function iamClient(url: string, keys: Keys, domainId: string): IamClient {
  const cred = new GlobalCredentials().withAk(keys.ak).withSk(keys.sk).withDomainId(domainId);
  return IamClient.newBuilder().withCredential(cred).withEndpoint(url).build();
}

/** The client for project grants: this SDK fills `{project_id}` only from BasicCredentials. */
export function iamProjectClient(url: string, keys: Keys, projectId: string): IamClient {
  const cred = new BasicCredentials().withAk(keys.ak).withSk(keys.sk).withProjectId(projectId);
  return IamClient.newBuilder().withCredential(cred).withEndpoint(url).build();
}

export async function createUser(
  iam: IamClient,
  domainId: string,
  name: string,
  password: string,
): Promise<string> {
  const option = new CreateUserOption().withName(name).withDomainId(domainId).withPassword(password);
  const res = wire(
    await iam.createUser(new CreateUserRequest().withBody(new CreateUserRequestBody().withUser(option))),
  );
  assert.equal(res.httpStatusCode, 201);
  const user = obj(res.user);
  assert.equal(user.name, name);
  assert.equal(user.is_domain_owner, false);
  return String(user.id);
}

export async function createGroup(iam: IamClient, name: string): Promise<string> {
  const body = new KeystoneCreateGroupRequestBody().withGroup(new KeystoneCreateGroupOption().withName(name));
  const res = wire(await iam.keystoneCreateGroup(new KeystoneCreateGroupRequest().withBody(body)));
  assert.equal(res.httpStatusCode, 201);
  return String(obj(res.group).id);
}

export async function addToGroup(iam: IamClient, groupId: string, userId: string): Promise<void> {
  const res = wire(
    await iam.keystoneAddUserToGroup(
      new KeystoneAddUserToGroupRequest().withGroupId(groupId).withUserId(userId),
    ),
  );
  assert.equal(res.httpStatusCode, 204);
}

export type Statements = { Effect: 'Allow' | 'Deny'; Action: string[] }[];

function policyOption(name: string, statements: Statements, type = 'XA'): ServicePolicyRoleOption {
  const policy = new ServicePolicy()
    .withVersion('1.1')
    .withStatement(statements.map((s) => new ServiceStatement().withEffect(s.Effect).withAction(s.Action)));
  return new ServicePolicyRoleOption()
    .withDisplayName(name)
    .withType(type)
    .withDescription(`${name} (test)`)
    .withPolicy(policy);
}

export async function createPolicy(
  iam: IamClient,
  name: string,
  statements: Statements,
  type = 'XA',
): Promise<string> {
  const body = new CreateCloudServiceCustomPolicyRequestBody().withRole(policyOption(name, statements, type));
  const res = wire(
    await iam.createCloudServiceCustomPolicy(new CreateCloudServiceCustomPolicyRequest().withBody(body)),
  );
  assert.equal(res.httpStatusCode, 201);
  const role = obj(res.role);
  assert.equal(role.catalog, 'CUSTOMED');
  return String(role.id);
}

export async function updatePolicy(
  iam: IamClient,
  id: string,
  name: string,
  statements: Statements,
): Promise<void> {
  const body = new UpdateCloudServiceCustomPolicyRequestBody().withRole(policyOption(name, statements));
  const res = wire(
    await iam.updateCloudServiceCustomPolicy(
      new UpdateCloudServiceCustomPolicyRequest().withRoleId(id).withBody(body),
    ),
  );
  assert.equal(res.httpStatusCode, 200);
}

export async function grantOnProject(projectIam: IamClient, groupId: string, roleId: string): Promise<void> {
  const res = wire(
    await projectIam.keystoneAssociateGroupWithProjectPermission(
      new KeystoneAssociateGroupWithProjectPermissionRequest().withGroupId(groupId).withRoleId(roleId),
    ),
  );
  assert.equal(res.httpStatusCode, 204);
}

export async function createKey(iam: IamClient, userId: string): Promise<Keys> {
  const body = new CreatePermanentAccessKeyRequestBody().withCredential(
    new CreateCredentialOption().withUserId(userId),
  );
  const res = wire(await iam.createPermanentAccessKey(new CreatePermanentAccessKeyRequest().withBody(body)));
  assert.equal(res.httpStatusCode, 201);
  const cred = obj(res.credential);
  assert.equal(cred.user_id, userId);
  assert.equal(cred.status, 'active');
  return { ak: String(cred.access), sk: String(cred.secret) };
}

export interface Member {
  id: string;
  keys: Keys;
  group: string;
  policy: string;
}

/**
 * Built by the account's own user of `account` through the client: a user
 * `name` (password `password`) alone in group `${name}s`, whose custom policy
 * `${name}-policy` allows `actions` on the account's project, with an access key.
 */
export async function memberWithPolicy(
  url: string,
  account: Pick<TestAccount, 'ak' | 'sk' | 'domainId' | 'projectId'>,
  name: string,
  password: string,
  actions: string[],
): Promise<Member> {
  const owner = iamClient(url, account, account.domainId);
  const id = await createUser(owner, account.domainId, name, password);
  const group = await createGroup(owner, `${name}s`);
  await addToGroup(owner, group, id);
  const policy = await createPolicy(owner, `${name}-policy`, [{ Effect: 'Allow', Action: actions }]);
  await grantOnProject(iamProjectClient(url, account, account.projectId), group, policy);
  return { id, keys: await createKey(owner, id), group, policy };
}

export interface DevBed {
  server: TestServer;
  /** The IAM client of the provider account's own user. */
  owner: IamClient;
  /** `dev` (password `Dev-user-pass1`), allowed `vpcep:endpoints:list` on the project. */
  dev: Member;
  /** How listing endpoints with `keys` ends. */
  lists: (keys: Keys) => Promise<Outcome>;
}

/** A test server whose provider account has the member `dev`, who can list endpoints. */
export async function devBed(dialect: TestDialect): Promise<DevBed> {
  const server = await startTestServer({ dialect });
  const p = server.provider;
  const lists = (keys: Keys) =>
    outcome(
      signedCaller(server.url, keys, p.projectId)({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' }),
    );
  try {
    const dev = await memberWithPolicy(server.url, p, 'dev', 'Dev-user-pass1', ['vpcep:endpoints:list']);
    assert.deepEqual(await lists(dev.keys), { status: 200 });
    return { server, owner: iamClient(server.url, p, p.domainId), dev, lists };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** A system role's id, looked up by display name as the Terraform providers do. */
export async function systemRoleId(iam: IamClient, displayName: string): Promise<string> {
  const res = wire(
    await iam.keystoneListPermissions(new KeystoneListPermissionsRequest().withDisplayName(displayName)),
  );
  const roles = res.roles as { id: string; display_name: string }[];
  assert.equal(roles.length, 1, `one system role is named ${displayName}`);
  return roles[0]!.id;
}

/** A VPCEP/VPC caller signing with `keys` in `projectId` (the official SDK core). */
export function signedCaller(
  url: string,
  keys: Keys,
  projectId: string,
): (call: SdkCall) => Promise<SdkResult> {
  return sdkClient(url, { ...keys, projectId });
}

/** The answer of an SDK call that must succeed with `status`: the body's fields as the client hands them over. */
export async function answer(call: Promise<unknown>, status: number): Promise<Wire> {
  const res = wire(await call);
  assert.equal(res.httpStatusCode, status);
  return res;
}

/** The fields `keys` of an answer's object, for comparing a chosen part of it. */
export function pick(v: unknown, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, obj(v)[k]]));
}

export interface Outcome {
  status: number | undefined;
  code?: string | undefined;
}

/** The status (and code) an SDK call ends with, success or not. */
export async function outcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    const res = wire(await call);
    return { status: res.httpStatusCode };
  } catch (err) {
    const e = err as SdkError;
    return { status: e.httpStatusCode, code: e.errorCode };
  }
}

/** A password token of `user` in `account`, scoped to its project; undefined with the status when refused. */
export async function userToken(
  url: string,
  account: Pick<TestAccount, 'domainName' | 'projectId'>,
  user: string,
  password: string,
): Promise<{ status: number; token?: string; body: unknown }> {
  const res = await passwordLogin(url, account, user, password);
  const token = res.headers['x-subject-token'];
  return { status: res.status, body: res.json, ...(typeof token === 'string' ? { token } : {}) };
}

/** A raw request with a token; answers status and the parsed body. */
export async function withToken(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await rawRequest({
    method,
    url: `${url}${path}`,
    headers: { 'x-auth-token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: res.json as Record<string, unknown> | undefined };
}
