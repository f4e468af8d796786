import { fetchTransport } from './fetch-transport.ts';
import { jsonBody, type Transport } from './http.ts';

// The transport of a browser (or any client holding a password rather than
// keys): an IAM token in X-Auth-Token. No node module is used here.

export function tokenTransport(
  endpoint: string,
  token: string,
  opts: { timeoutMs?: number } = {},
): Transport {
  return fetchTransport({
    endpoint,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    authorize: () => ({ 'x-auth-token': token }),
  });
}

export interface PasswordLogin {
  domain: string;
  user: string;
  password: string;
  /** Scope: a project id, or else a project name (the region's name by default). */
  projectId?: string;
  projectName?: string;
}

export interface Token {
  token: string;
  projectId: string;
  expiresAt: string;
  /** Who and where, as the token body names them (what a console's header shows). */
  projectName: string;
  domainId: string;
  domainName: string;
  userName: string;
  /** The region of the service catalog's entries ('' when the catalog is absent). */
  region: string;
}

interface TokenBody {
  token?: {
    project?: { id?: string; name?: string };
    domain?: { id?: string; name?: string };
    user?: { name?: string };
    expires_at?: string;
    catalog?: { endpoints?: { region?: string }[] }[];
  };
}

/** POST /v3/auth/tokens with the password method; the token is the X-Subject-Token header. */
export async function passwordToken(endpoint: string, login: PasswordLogin): Promise<Token> {
  const anonymous = fetchTransport({ endpoint, authorize: () => ({}) });
  const project = login.projectId !== undefined ? { id: login.projectId } : { name: login.projectName };
  const response = await anonymous.send({
    method: 'POST',
    path: '/v3/auth/tokens',
    body: jsonBody({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: login.user, password: login.password, domain: { name: login.domain } } },
        },
        scope: { project },
      },
    }),
  });
  const token = (response.json as TokenBody | undefined)?.token;
  return {
    token: response.headers['x-subject-token'] ?? '',
    projectId: token?.project?.id ?? '',
    expiresAt: token?.expires_at ?? '',
    projectName: token?.project?.name ?? '',
    domainId: token?.domain?.id ?? '',
    domainName: token?.domain?.name ?? '',
    userName: token?.user?.name ?? '',
    region: token?.catalog?.[0]?.endpoints?.[0]?.region ?? '',
  };
}
