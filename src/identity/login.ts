import { dummyPasswordHash, verifyPassword } from '../auth/password.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
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

export interface LoginDeps {
  repo: IdentityRepository;
  tokens: TokenCodec;
  clock: Clock;
  ttlSeconds: number;
  throttle: LoginThrottle;
}

/** IAM's answer to a locked user; the same for a user that does not exist. */
export const LOCKED_MESSAGE = 'The account is locked.';
export const ADDRESS_LOCKED_MESSAGE = 'Too many failed logins from this client address. Try again later.';

/**
 * Keystone's password method. Every failure is the same 401 and costs the same
 * scrypt work, so neither the message nor the timing says whether the account,
 * the user or the password was wrong. Failed attempts are counted per user and
 * per client address (`throttle`); a locked login is refused before any scrypt.
 */
export async function loginWithPassword(
  deps: LoginDeps,
  input: PasswordLogin,
  clientAddress: string,
): Promise<IssuedToken> {
  const { repo, tokens, clock, ttlSeconds } = deps;
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

  const good = await throttledPasswordCheck(
    deps.throttle,
    lockoutKey(input, domain, user),
    clientAddress,
    async () => {
      const hash = user?.password_hash ?? (await dummyPasswordHash());
      const right = await verifyPassword(input.password, hash);
      // A disabled user cannot sign in; the answer is the same as for a wrong password.
      return right && !!user && !!domain && user.password_hash !== null && user.enabled === 1;
    },
  );
  if (!good || !user || !domain) throw fail();

  // The password was right: a scope the user cannot have is an error, not a guess.
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

/**
 * Runs one password check (`check`, the scrypt comparison) as an attempt that
 * `throttle` counts against the user `key` and the client `address`. A locked
 * user or address is refused with IAM's 401 before `check` runs, so a locked-out
 * guesser costs no scrypt; a check that throws counts as neither outcome.
 */
export async function throttledPasswordCheck(
  throttle: LoginThrottle,
  key: string,
  address: string,
  check: () => Promise<boolean>,
): Promise<boolean> {
  const attempt = throttle.begin(key, address);
  if (attempt === 'user-locked') throw apiError('EndPoint.0003', LOCKED_MESSAGE);
  if (attempt === 'address-locked') throw apiError('EndPoint.0003', ADDRESS_LOCKED_MESSAGE);
  let good: boolean;
  try {
    good = await check();
  } catch (err) {
    attempt.abandoned();
    throw err;
  }
  if (good) attempt.succeeded();
  else attempt.failed();
  return good;
}

/** The key an existing user's failures are counted under, wherever its password is checked. */
export function userLockoutKey(domainId: string, userName: string): string {
  return JSON.stringify(['user', domainId, userName]);
}

/**
 * The name failures are counted under: the account and user name, whichever way
 * the request spelled them. A user or account that does not exist gets a key of
 * the same kind, so a lockout says nothing about who exists; an existing user
 * named by id shares its name's key, so changing spelling buys no extra guesses.
 */
function lockoutKey(input: PasswordLogin, domain: DomainRow | undefined, user: UserRow | undefined): string {
  if (user && domain) return userLockoutKey(domain.id, user.name);
  if (input.userId !== undefined) return JSON.stringify(['user-id', input.userId]);
  if (domain) return userLockoutKey(domain.id, input.userName ?? '');
  return JSON.stringify(['account', input.domainId ?? '', input.domainName ?? '', input.userName ?? '']);
}
