// Hostile header values, sent as raw bytes (no HTTP client sends a NUL or a
// bare CR in a header): each header the server reads for authentication,
// routing or parsing gets every value once on a protected GET, a protected POST
// and the public token route, with the other headers of a genuine request.

export interface HeaderCase {
  label: string;
  method: string;
  bytes: Buffer;
}

export interface HeaderTarget {
  /** `127.0.0.1:port`, the Host of a genuine request. */
  host: string;
  projectId: string;
  token: string;
  ak: string;
}

const text = (s: string) => Buffer.from(s, 'utf8');

/** Values no header should make the server fail on: control bytes, bad UTF-8, sizes past the limits. */
const VALUES: { label: string; value: Buffer }[] = [
  { label: 'empty', value: text('') },
  { label: 'spaces', value: text('   ') },
  { label: 'NUL', value: text('a\u0000b') },
  { label: 'NUL only', value: text('\u0000') },
  { label: 'control bytes', value: text('\u0001\u001f\u007f') },
  { label: 'bare CR', value: text('a\rb') },
  { label: '8 KiB', value: text('x'.repeat(8 * 1024)) },
  { label: '100k characters', value: text('x'.repeat(100_000)) },
  { label: 'invalid UTF-8', value: Buffer.from([0x61, 0xff, 0xfe, 0x62]) },
  { label: 'overlong UTF-8 NUL', value: Buffer.from([0xc0, 0x80]) },
  { label: 'UTF-8 surrogate', value: Buffer.from([0xed, 0xa0, 0x80]) },
  { label: 'Latin-1 byte', value: Buffer.from([0xe9]) },
  { label: 'non-ASCII UTF-8', value: text('é😀ｖ\u202e') },
  { label: 'escapes', value: text('%00%zz\\u0000&#0;') },
  { label: 'path', value: text('../../etc/passwd') },
  { label: 'JSON', value: text('{"__proto__":{"a":1}}') },
  { label: 'huge number', value: text('99999999999999999999999999') },
  { label: 'negative', value: text('-1') },
  { label: 'comma list', value: text('a, b, c,,,') },
];

/** Values meant for one header's own parser. */
const OWN_VALUES: Record<string, string[]> = {
  authorization: [
    'SDK-HMAC-SHA256',
    'SDK-HMAC-SHA256 Access=, SignedHeaders=, Signature=',
    `SDK-HMAC-SHA256 ${'Access=x, '.repeat(300)}`,
    'SDK-HMAC-SHA256 Credential=/sdk_request, SignedHeaders=host, Signature=zz',
    'V11-HMAC-SHA256 Credential=AK/20200101/region/service/sdk_request',
    'Bearer x.y.z',
    'Basic YWRtaW46YWRtaW4=',
  ],
  'x-sdk-date': ['20991231T235959Z', '00000000T000000Z', '20240230T250000Z', '2024-01-01T00:00:00Z', '1'],
  'x-auth-token': ['a.b', 'a.b.c', '.', `${'A'.repeat(300)}.${'B'.repeat(43)}`],
  'x-project-id': ['00000000000000000000000000000000', '*', 'null'],
  host: ['127.0.0.1:99999', '[::1', 'user@host', 'a b', 'example.com:80:80'],
  'content-type': ['application/json; charset=utf-16', 'multipart/form-data', '*/*', 'application/json;;;'],
};

/** An X-Sdk-Date in the signature's format, for the requests whose Authorization is the hostile part. */
function sdkDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Every header case for `t`: each hostile value in each header, on three routes. */
export function headerCases(t: HeaderTarget, now = new Date()): HeaderCase[] {
  const signedAuth = `SDK-HMAC-SHA256 Access=${t.ak}, SignedHeaders=host;x-sdk-date, Signature=${'0'.repeat(64)}`;
  // The headers a genuine request of each kind carries; the hostile one replaces its namesake.
  const contexts: Record<string, [string, string][]> = {
    authorization: [['x-sdk-date', sdkDate(now)]],
    'x-sdk-date': [['authorization', signedAuth]],
  };
  const tokenContext: [string, string][] = [['x-auth-token', t.token]];
  const routes = [
    { method: 'GET', path: `/v1/${t.projectId}/vpcs`, body: '' },
    // Refused once past authentication: the header cases create nothing.
    { method: 'POST', path: `/v1/${t.projectId}/vpcs`, body: '{"vpc":{}}' },
    // Public, and refused before any password is checked: no lockout is counted.
    { method: 'POST', path: '/v3/auth/tokens', body: '{}' },
  ];
  const headers = [
    'x-auth-token',
    'authorization',
    'x-sdk-date',
    'x-project-id',
    'host',
    'content-type',
    'x-forwarded-for',
    'x-request-id',
  ];
  const cases: HeaderCase[] = [];
  for (const header of headers) {
    const values = [
      ...VALUES,
      ...(OWN_VALUES[header] ?? []).map((v) => ({ label: v.slice(0, 40), value: text(v) })),
    ];
    for (const { label, value } of values) {
      for (const route of routes) {
        const others = (contexts[header] ?? tokenContext).filter(([name]) => name !== header);
        const lines: Buffer[] = [text(`${route.method} ${route.path} HTTP/1.1\r\n`)];
        const put = (name: string, v: Buffer) => lines.push(text(`${name}: `), v, text('\r\n'));
        put('host', header === 'host' ? value : text(t.host));
        for (const [name, v] of others) put(name, text(v));
        if (header !== 'host') put(header, value);
        if (route.body !== '' && header !== 'content-type') put('content-type', text('application/json'));
        lines.push(
          text(`content-length: ${Buffer.byteLength(route.body)}\r\nconnection: close\r\n\r\n${route.body}`),
        );
        cases.push({
          label: `${route.method} ${route.path} ${header}: ${label}`,
          method: route.method,
          bytes: Buffer.concat(lines),
        });
      }
    }
  }
  return cases;
}
