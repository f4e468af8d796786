import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/context/clock.ts';
import { testDialects, type TestDialect } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Failed-login limiting on POST /v3/auth/tokens, black-box: the real server, real
// scrypt, and a clock the test moves to let locks expire.

const LOCKED = 'The account is locked.';
const ADDRESS_LOCKED = 'Too many failed logins from this client address. Try again later.';

/** The system clock plus an offset the test can move forward. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

type Identity = { name: string; domain: Record<string, string> } | { id: string };

function login(server: TestServer, who: Identity, password: string, localAddress?: string) {
  const user = 'id' in who ? { id: who.id, password } : { name: who.name, password, domain: who.domain };
  return rawRequest({
    method: 'POST',
    url: `${server.url}/v3/auth/tokens`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user } } } }),
    ...(localAddress ? { localAddress } : {}),
  });
}

function assertRefused(res: RawResponse, message?: string): void {
  assert.equal(res.status, 401, res.text);
  const body = res.json as Record<string, string>;
  assert.deepEqual(Object.keys(body).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(body.error_code, 'EndPoint.0003');
  if (message !== undefined) assert.equal(body.error_msg, message);
  else assert.notEqual(body.error_msg, LOCKED);
  assert.equal(res.headers['x-subject-token'], undefined);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The CPU time (ms) this process spent on one login: the server runs in it, and scrypt on its
 * thread pool counts too. CPU time, not wall time, so that a loaded runner's waits for a core
 * do not count.
 */
async function cpuOf(run: () => Promise<RawResponse>, check: (res: RawResponse) => void): Promise<number> {
  const start = process.cpuUsage();
  const res = await run();
  const used = process.cpuUsage(start);
  check(res);
  return (used.user + used.system) / 1000;
}

/** A server with IAM's per-user policy and the given per-address limit. */
function lockoutServer(dialect: TestDialect, clock: Clock, perAddress: number): Promise<TestServer> {
  const policy = { max_failures: 5, window_seconds: 900, lockout_seconds: 900 };
  return startTestServer({
    dialect,
    clock,
    overrides: { login_lockout: { ...policy, max_failures_per_address: perAddress } },
  });
}

for (const dialect of testDialects()) {
  describe(`failed-login lockout per user (${dialect})`, () => {
    let server: TestServer;
    const clock = movableClock();
    before(async () => {
      server = await lockoutServer(dialect, clock, 1000);
    });
    after(async () => server.close());

    const provider = () => ({ name: server.provider.user, domain: { name: server.provider.domainName } });
    const consumer = () => ({ name: server.consumer.user, domain: { name: server.consumer.domainName } });

    test('five failures lock the user: the right password is refused until the lock expires', async () => {
      for (let i = 0; i < 5; i++) assertRefused(await login(server, provider(), `wrong-${i}`));
      assertRefused(await login(server, provider(), server.provider.password), LOCKED);
      // The same user spelled with the account id, and by user id, is the same lock.
      assertRefused(
        await login(
          server,
          { name: server.provider.user, domain: { id: server.provider.domainId } },
          server.provider.password,
        ),
        LOCKED,
      );
      // Another user is not affected.
      assert.equal((await login(server, consumer(), server.consumer.password)).status, 201);

      // A minute before the lock ends (the clock also runs in real time: a loaded runner
      // may take seconds between the fifth failure and here), then past its end.
      clock.advance(840_000);
      assertRefused(await login(server, provider(), server.provider.password), LOCKED);
      clock.advance(61_000);
      const res = await login(server, provider(), server.provider.password);
      assert.equal(res.status, 201, res.text);
      const userId = (res.json as { token: { user: { id: string } } }).token.user.id;

      // Failures by user id count for the user's name too.
      for (let i = 0; i < 5; i++) assertRefused(await login(server, { id: userId }, `wrong-${i}`));
      assertRefused(await login(server, provider(), server.provider.password), LOCKED);
      clock.advance(901_000);
      assert.equal((await login(server, { id: userId }, server.provider.password)).status, 201);
    });

    test('a successful login forgets the failures before it', async () => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) assertRefused(await login(server, consumer(), `wrong-${i}`));
        const res = await login(server, consumer(), server.consumer.password);
        assert.equal(res.status, 201, res.text);
      }
    });

    test('failures older than the window are forgotten', async () => {
      for (let i = 0; i < 4; i++) assertRefused(await login(server, consumer(), `wrong-${i}`));
      clock.advance(900_000);
      for (let i = 0; i < 4; i++) assertRefused(await login(server, consumer(), `wrong-${i}`));
      assert.equal((await login(server, consumer(), server.consumer.password)).status, 201);
    });

    test('a user or account that does not exist is locked the same way', async () => {
      const strangers: Identity[] = [
        { name: 'nobody', domain: { name: server.provider.domainName } },
        { name: 'admin', domain: { name: 'no-such-account' } },
        { name: 'admin', domain: { id: '0'.repeat(32) } },
        { id: 'f'.repeat(32) },
      ];
      for (const who of strangers) {
        const answers: string[] = [];
        for (let i = 0; i < 6; i++) {
          const res = await login(server, who, `guess-${i}`);
          assert.equal(res.status, 401);
          answers.push((res.json as Record<string, string>).error_msg!);
        }
        const first = answers[0];
        assert.deepEqual(answers, [first, first, first, first, first, LOCKED], JSON.stringify(who));
      }
    });

    test('parallel guesses cannot all start before the first failure is counted', async () => {
      const who = { name: 'burst', domain: { name: server.provider.domainName } };
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(server, who, `p-${i}`)));
      for (const res of answers) assert.equal(res.status, 401);
      const ran = answers.filter((r) => (r.json as Record<string, string>).error_msg !== LOCKED);
      assert.ok(ran.length <= 5, `${ran.length} guesses ran scrypt`);
      assert.ok(ran.length >= 1);
    });

    test('a locked login is refused without running scrypt', async (t) => {
      const who = { name: 'timed', domain: { name: server.provider.domainName } };
      for (let i = 0; i < 5; i++) assertRefused(await login(server, who, 'x'));
      // The cost of one scrypt in this run: failed logins of distinct users, each verified,
      // taken in turn with the locked ones so that both see the same conditions.
      const verified: number[] = [];
      const locked: number[] = [];
      for (let i = 0; i < 9; i++) {
        const other = { name: `timed-${i}`, domain: { name: server.provider.domainName } };
        verified.push(
          await cpuOf(
            () => login(server, other, 'x'),
            (r) => assertRefused(r),
          ),
        );
        locked.push(
          await cpuOf(
            () => login(server, who, 'x'),
            (r) => assertRefused(r, LOCKED),
          ),
        );
      }
      const [v, l] = [median(verified), median(locked)];
      t.diagnostic(`median CPU of a locked login ${l.toFixed(2)} ms, of a verified one ${v.toFixed(2)} ms`);
      assert.ok(
        l * 3 < v,
        `a locked login took ${l.toFixed(1)} ms of CPU, a verified one ${v.toFixed(1)} ms`,
      );
    });
  });

  describe(`failed-login limit per client address (${dialect})`, () => {
    let server: TestServer;
    const clock = movableClock();
    before(async () => {
      server = await lockoutServer(dialect, clock, 20);
    });
    after(async () => server.close());

    test('twenty failures over many users lock the address, not the users', async () => {
      const domain = { name: server.provider.domainName };
      for (let i = 0; i < 20; i++)
        assertRefused(await login(server, { name: `spray-${i}`, domain }, 'guess'));
      const right = { name: server.provider.user, domain };
      assertRefused(await login(server, right, server.provider.password), ADDRESS_LOCKED);
      // Another client address is unaffected, and so is the user.
      const elsewhere = await login(server, right, server.provider.password, '127.0.0.2');
      assert.equal(elsewhere.status, 201, elsewhere.text);
      // A success from the locked address's neighbour does not unlock it.
      assertRefused(await login(server, right, server.provider.password), ADDRESS_LOCKED);
      clock.advance(901_000);
      const later = await login(server, right, server.provider.password);
      assert.equal(later.status, 201, later.text);
    });
  });
}

// POST /v3/users/{user_id}/password checks the original password with scrypt as a
// login does: a token holder (a stolen token is valid for a day) must not get
// unlimited guesses of the account's password there.
for (const dialect of testDialects()) {
  describe(`password changes share the login lockout (${dialect})`, () => {
    let server: TestServer;
    const clock = movableClock();
    before(async () => {
      server = await lockoutServer(dialect, clock, 1000);
    });
    after(async () => server.close());

    const consumer = () => ({ name: server.consumer.user, domain: { name: server.consumer.domainName } });

    test('wrong original passwords lock the user: the right one is then refused like a locked login, until the lock ends', async () => {
      const { token, userId } = await consumerSession(server, server.consumer.password);
      for (let i = 0; i < 5; i++) {
        const res = await changePassword(server, token, userId, `wrong-${i}`, 'Next-pass-1');
        assert.equal(res.status, 400, res.text);
        assert.equal((res.json as Record<string, string>).error_code, '1103');
      }
      // Locked: the right original is refused as the token route refuses a locked user,
      assertRefused(
        await changePassword(server, token, userId, server.consumer.password, 'Next-pass-1'),
        LOCKED,
      );
      // and so is a login of that user with the right password.
      assertRefused(await login(server, consumer(), server.consumer.password), LOCKED);

      clock.advance(901_000);
      // Nothing changed while locked: the old password still signs in.
      const later = await consumerSession(server, server.consumer.password);
      const changed = await changePassword(
        server,
        later.token,
        later.userId,
        server.consumer.password,
        'Next-pass-1',
      );
      assert.equal(changed.status, 204, changed.text);
      assert.equal((await login(server, consumer(), 'Next-pass-1')).status, 201);
      // Back to the old password, for the next test.
      const back = await changePassword(
        server,
        later.token,
        later.userId,
        'Next-pass-1',
        server.consumer.password,
      );
      assert.equal(back.status, 204, back.text);
    });

    test('failed logins lock password changes too: one count per user', async () => {
      const { token, userId } = await consumerSession(server, server.consumer.password);
      for (let i = 0; i < 5; i++) assertRefused(await login(server, consumer(), `wrong-${i}`));
      assertRefused(
        await changePassword(server, token, userId, server.consumer.password, 'Next-pass-2'),
        LOCKED,
      );
      clock.advance(901_000);
      assert.equal((await login(server, consumer(), server.consumer.password)).status, 201);
    });
  });

  describe(`password changes count per client address (${dialect})`, () => {
    let server: TestServer;
    const clock = movableClock();
    before(async () => {
      server = await lockoutServer(dialect, clock, 3);
    });
    after(async () => server.close());

    test('wrong original passwords lock the client address, not other addresses', async () => {
      const { token, userId } = await consumerSession(server, server.consumer.password);
      for (let i = 0; i < 3; i++) {
        const wrong = await changePassword(server, token, userId, `wrong-${i}`, 'Next-pass-3');
        assert.equal(wrong.status, 400, wrong.text);
      }
      // Three failures: under the user's limit (5), at the address's (3).
      assertRefused(
        await changePassword(server, token, userId, server.consumer.password, 'Next-pass-3'),
        ADDRESS_LOCKED,
      );
      const elsewhere = await changePassword(
        server,
        token,
        userId,
        server.consumer.password,
        'Next-pass-3',
        '127.0.0.2',
      );
      assert.equal(elsewhere.status, 204, elsewhere.text);
    });
  });
}

function changePassword(
  server: TestServer,
  token: string,
  userId: string,
  original: string,
  next: string,
  localAddress?: string,
) {
  return rawRequest({
    method: 'POST',
    url: `${server.url}/v3/users/${userId}/password`,
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({ user: { original_password: original, password: next } }),
    ...(localAddress ? { localAddress } : {}),
  });
}

/** A token of the consumer account's own user, from a password login, and that user's id. */
async function consumerSession(
  server: TestServer,
  password: string,
): Promise<{ token: string; userId: string }> {
  const res = await login(
    server,
    { name: server.consumer.user, domain: { name: server.consumer.domainName } },
    password,
  );
  assert.equal(res.status, 201, res.text);
  const userId = (res.json as { token: { user: { id: string } } }).token.user.id;
  return { token: String(res.headers['x-subject-token']), userId };
}
