import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { officialSign } from '../support/official-signer.ts';
import { assertCatalogError, edgeBed, sendSigned } from './edge.support.ts';

// PostgreSQL cannot store NUL in text; SQLite can. Both stores must refuse such
// strings alike, at the edge, before any query: 400 EndPoint.0002 (401 first for
// an anonymous caller on a protected route, as for every parameter error).

const asRaw = (res: RawResponse) => ({ status: res.status, headers: res.headers, body: res.text });
const refused = (res: RawResponse) => assertCatalogError(asRaw(res), 400, 'EndPoint.0002');

const login = (userName: string) =>
  JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: userName, password: 'x', domain: { name: 'provider' } } },
      },
      scope: { project: { name: 'tr-west-1' } },
    },
  });

for (const dialect of testDialects()) {
  describe(`strings no store can hold (${dialect})`, () => {
    const bed = edgeBed(dialect);
    const json = { 'content-type': 'application/json' };
    /** A raw POST of a VPC body, with the provider's token unless `anonymous`. */
    const postVpc = (body: string | Buffer, anonymous = false) =>
      rawRequest({
        method: 'POST',
        url: bed.vpcs(),
        headers: { ...json, ...(anonymous ? {} : { 'x-auth-token': bed.token }) },
        body,
      });

    test('NUL or a lone surrogate in the body of the public token call is 400, not 500', async () => {
      for (const name of ['admin\u0000', '\u0000', 'a\ud800', '\udfffb']) {
        const res = await rawRequest({
          method: 'POST',
          url: `${bed.server.url}/v3/auth/tokens`,
          headers: json,
          body: login(name),
        });
        refused(res);
      }
    });

    test('NUL in a body is 400 after authentication and 401 before', async () => {
      const body = '{"vpc": {"name": "n", "cidr": "10.0.0.0/16", "description": "d\\u0000"}}';
      refused(await postVpc(body));
      const anonymous = await postVpc(body, true);
      assertCatalogError(asRaw(anonymous), 401, 'EndPoint.0003');
      // A NUL in a key is refused the same way.
      const key = '{"vpc": {"name": "n", "cidr": "10.0.0.0/16", "\\u0000": 1}}';
      refused(await postVpc(key));
    });

    test('escapes that only look alike are accepted: an escaped backslash and a surrogate pair', async () => {
      const body =
        '{"vpc": {"name": "lookalike", "cidr": "10.1.0.0/16", "description": "\\\\u0000 \\ud83d\\ude00"}}';
      const res = await postVpc(body);
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { vpc: { description: string } }).vpc.description, '\\u0000 😀');
    });

    test('a body that is not UTF-8 is 400', async () => {
      const body = Buffer.concat([
        Buffer.from('{"vpc": {"name": "a", "cidr": "10.2.0.0/16", "description": "'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}'),
      ]);
      refused(await postVpc(body));
    });

    test('%00 in a path id, the path project or a query value is 400, signed or with a token', async () => {
      const headers = { 'x-auth-token': bed.token };
      refused(await rawRequest({ method: 'GET', url: `${bed.vpcs()}/a%00b`, headers }));
      refused(await rawRequest({ method: 'GET', url: `${bed.vpcs()}?id=a%00`, headers }));
      refused(await rawRequest({ method: 'DELETE', url: `${bed.vpcs()}/%00`, headers }));
      // An AK/SK caller's path project is looked up in the store: the NUL must stop before.
      const signed = await officialSign({
        endpoint: bed.server.url,
        method: 'GET',
        path: `/v1/${bed.server.provider.projectId}%00/vpcs`,
        ak: bed.server.provider.ak,
        sk: bed.server.provider.sk,
      });
      refused(await sendSigned('GET', signed));
      const anonymous = await rawRequest({ method: 'GET', url: `${bed.vpcs()}/a%00b` });
      assertCatalogError(asRaw(anonymous), 401, 'EndPoint.0003');
    });

    test('the server still serves signed requests afterwards', async () => {
      const res = await bed.server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      assert.ok(Array.isArray(res.vpcs));
    });
  });
}
