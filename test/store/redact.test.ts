// Store errors name the database they concern with its password masked, and
// carry none of the driver's extra fields (Node's URL errors keep the whole URL).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import { redactUrls } from '../../src/store/redact.ts';

const SECRET = 'pa55-w0rd-xyz';

test('redactUrls masks the password of every URL in a text and leaves the rest', () => {
  assert.equal(
    redactUrls(`a postgres://u:${SECRET}@h:5432/db and 'postgresql://v:${SECRET}@h2/db2'`),
    "a postgres://u:***@h:5432/db and 'postgresql://v:***@h2/db2'",
  );
  assert.equal(redactUrls('postgres://u@h/db sqlite:/tmp/x.db'), 'postgres://u@h/db sqlite:/tmp/x.db');
  assert.equal(redactUrls(`postgres://:${SECRET}@h/db`), 'postgres://:***@h/db');
  assert.equal(redactUrls(`postgres://u:p@ss/w${SECRET}@h/db`), 'postgres://u:***@h/db');
});

test('a store that cannot be opened is reported with the URL masked and nothing else of it', async () => {
  for (const url of [
    `postgres://ops:${SECRET}@127.0.0.1:1/vpcep`,
    // pg rejects it as an invalid URL, an error that keeps the input in a field.
    `postgres://ops:${SECRET}@[::1:1/vpcep`,
  ]) {
    const err = await openStore(url).then(
      () => assert.fail('opened'),
      (e: unknown) => e as Error,
    );
    assert.match(err.message, /^cannot open the database postgres:\/\/ops:\*\*\*@/);
    assert.ok(!inspect(err).includes(SECRET), inspect(err));
  }
});
