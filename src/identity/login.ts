import { dummyPasswordHash, verifyPassword } from '../auth/password.ts';
import type { TokenCodec } from '../auth/tokens.ts';
import type { Clock } from '../context/clock.ts';
import { apiError } from '../errors/api-error.ts';
import type { DomainRow, IdentityRepository, ProjectRow, UserRow } from './repository.ts';

export interface PasswordLogin {
  userName?: string | undefined;
  userId?: string | undefined;
  password: string;
  domainName?: string | undefined;
  domainId?: string | undefined;
  scope?:
    | { kind: 'project'; id?: string | undefined; name?: string | undefined }
    | { kind: 'domain'; id?: string | undefined; name?: string | undefined }
    | undefined;
}

export interface IssuedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
  user: UserRow;
  domain: DomainRow;
  project: ProjectRow | null;
}

/**
 * Keystone's password method. Every failure is the same 401 and costs the same
 * scrypt work, so neither the message nor the timing says whether the account,
 * the user or the password was wrong.
 */
export async function loginWithPassword(
  repo: IdentityRepository,
  tokens: TokenCodec,
  clock: Clock,
  ttlSeconds: number,
  input: PasswordLogin,
): Promise<IssuedToken> {
  const fail = () => apiError('EndPoint.0003');
  let user: UserRow | undefined;
  let domain: DomainRow | undefined;
  if (input.userId !== undefined) {
    user = await repo.findUserById(input.userId);
    domain = user ? await repo.findDomainById(user.domain_id) : undefined;
  } else {
    domain =
      input.domainId !== undefined
        ? await repo.findDomainById(input.domainId)
        : input.domainName !== undefined
          ? await repo.findDomainByName(input.domainName)
          : undefined;
    user =
      domain && input.userName !== undefined ? await repo.findUser(domain.id, input.userName) : undefined;
  }
  const hash = user?.password_hash ?? (await dummyPasswordHash());
  const good = await verifyPassword(input.password, hash);
  if (!good || !user || !domain || user.password_hash === null) throw fail();

  let project: ProjectRow | null = null;
  const scope = input.scope;
  if (scope?.kind === 'project') {
    const candidates = await repo.listProjects(domain.id, scope.id === undefined ? scope.name : undefined);
    project =
      candidates.find((p) => (scope.id !== undefined ? p.id === scope.id : p.name === scope.name)) ?? null;
    if (!project) throw fail();
  } else if (scope?.kind === 'domain') {
    if (
      (scope.id !== undefined && scope.id !== domain.id) ||
      (scope.name !== undefined && scope.name !== domain.name)
    ) {
      throw fail();
    }
  }
  const issuedAt = clock.now();
  const expiresAt = issuedAt + ttlSeconds * 1000;
  const token = tokens.issue({ u: user.id, d: domain.id, p: project?.id ?? null, i: issuedAt, e: expiresAt });
  return { token, issuedAt, expiresAt, user, domain, project };
}
