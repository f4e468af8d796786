// Hostile requests for one operation of the OpenAPI document: every path and
// query parameter and every body field broken once (wrong type, NUL, huge,
// overflowing, foreign), then random cases drawn from the same pool and from
// whole-body attacks (nesting, duplicate keys, __proto__, 2 MiB, wrong content
// types, empty, not JSON). Deterministic: fast-check with a fixed seed.
import fc from 'fast-check';
import {
  exampleOf,
  fieldsOf,
  typeOf,
  withValueAt,
  type Field,
  type JsonSchema,
  type Operation,
  type Parameter,
} from './openapi.ts';

export type AuthMode = 'provider-token' | 'provider-aksk' | 'consumer-token' | 'anonymous';
export type Actor = 'provider' | 'consumer';

export interface QueryPart {
  key: string;
  value: string;
  /** `value` is wire text sent as is (a bad escape); otherwise it is percent-encoded. */
  raw?: boolean;
}

export interface FuzzCase {
  label: string;
  auth: AuthMode;
  /** Wire text of each path parameter, already percent-encoded. */
  path: Record<string, string>;
  query: QueryPart[];
  body?: { bytes: Buffer; contentType: string };
}

/** The ids the two accounts own, by path parameter or body field name. */
export type IdBook = Record<Actor, Record<string, string>>;

export const actorOf = (auth: AuthMode): Actor => (auth === 'consumer-token' ? 'consumer' : 'provider');
const otherOf = (actor: Actor): Actor => (actor === 'provider' ? 'consumer' : 'provider');

const HUGE = 'x'.repeat(100_000);
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** A JSON literal no JSON.stringify can produce (1e400, -0, …), spliced in as raw text. */
class Literal {
  constructor(readonly text: string) {}
}
const lit = (text: string) => new Literal(text);

const OVERFLOWING = [
  lit('2147483648'),
  lit('-2147483649'),
  lit('9223372036854775808'),
  lit('-9223372036854775809'),
  lit('1e400'),
  lit('-1e400'),
  lit('-0'),
  lit('1e-400'),
  lit('123456789012345678901234567890'),
  lit('NaN'),
  -1,
  0,
  1.5,
  65536,
  2 ** 53 + 2,
];
const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  HUGE,
  'é😀ｖ\u202e',
  '../../etc/passwd',
  "' OR 1=1 --",
  '',
  ' ',
  'x'.repeat(65),
  '%00',
  '\\u0000',
  NIL_UUID,
  '0.0.0.0/0',
  '10.0.0.0/33',
  '::',
  `iam:domain::${'0'.repeat(2000)}`,
];
const WRONG_TYPE: Record<string, unknown[]> = {
  string: [123, true, null, [], {}, ['a'], { a: 'b' }, 1.5],
  integer: ['80', true, null, [], {}, ...OVERFLOWING],
  number: ['80', true, null, [], {}, ...OVERFLOWING],
  boolean: ['true', 1, 0, null, [], {}],
  array: ['a', 1, {}, null, true, [null], [[[[]]]], Array.from({ length: 5000 }, () => 'x')],
  object: ['a', 1, [], null, true, [{}]],
  enum: ['not-a-member', 1, null, [], {}, HUGE, '\u0000'],
};

/** Values of another JSON type than the field's, and values of its type a store or a rule may choke on. */
function hostileValuesFor(
  schema: JsonSchema,
  foreignIds: string[],
): Record<'wrongType' | 'hostile', unknown[]> {
  const t = typeOf(schema) ?? 'object';
  const wrongType = WRONG_TYPE[t] ?? WRONG_TYPE.object!;
  if (t === 'string') return { wrongType, hostile: [...HOSTILE_STRINGS, ...foreignIds] };
  if (t === 'integer' || t === 'number') return { wrongType: wrongType.slice(0, 5), hostile: OVERFLOWING };
  return { wrongType, hostile: wrongType };
}

const QUERY_TEXTS: Record<string, string[]> = {
  integer: [
    'abc',
    '1.5',
    '',
    'true',
    '2147483648',
    '-2147483649',
    '9223372036854775808',
    '1e400',
    '-0',
    'NaN',
  ],
  boolean: ['maybe', '2', '', 'TRUE', 'null'],
  string: [HUGE, 'x'.repeat(5000), 'é😀ｖ', '__proto__', "' OR 1=1 --", '%', '*', '\u0000'],
};
QUERY_TEXTS.integer!.push('-1', 'Infinity', '0x10', ' 1', '１');
const RAW_ESCAPES = ['%00', 'a%00b', '%zz', '%', '%E0%A4%A', '%C0%80', '%ED%A0%80', '%FF', '%2'];

const PATH_TEXTS = [
  'a'.repeat(300),
  'a'.repeat(201),
  encodeURIComponent('é😀ｖ'),
  '..',
  '../',
  '..%2F..%2Fadmin',
  '%2E%2E',
  '2147483648',
  '-1',
  '%20',
  encodeURIComponent("' OR 1=1 --"),
  'null',
  '__proto__',
  'constructor',
  HUGE,
  NIL_UUID,
  ...RAW_ESCAPES,
];

/** JSON text for a body, with Literal values spliced in verbatim. */
export function serialise(value: unknown): string {
  const literals: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Literal) {
      literals.push(v.text);
      return `\u0001literal${literals.length - 1}\u0001`;
    }
    return v;
  });
  return text.replace(/"\\u0001literal(\d+)\\u0001"/g, (_m, i: string) => literals[Number(i)] ?? 'null');
}

const json = (text: string, contentType = 'application/json') => ({
  bytes: Buffer.from(text, 'utf8'),
  contentType,
});

// The big bodies are the same for every operation: built once, their bytes shared
// by every case that sends them (nothing writes to a case's body).
const NESTED_ARRAYS = json('['.repeat(100_000) + ']'.repeat(100_000));
const NESTED_OBJECTS = json('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000));
const TWO_MIB = json(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`);

/** Whole-body attacks; `base` is the operation's plausible body text. */
function rawBodies(base: string): { label: string; body: NonNullable<FuzzCase['body']> }[] {
  const inner = base.startsWith('{') && base.length > 2 ? base.slice(1) : '}';
  const sep = inner === '}' ? '' : ',';
  return [
    { label: 'nested arrays 100k deep', body: NESTED_ARRAYS },
    { label: 'nested objects 20k deep', body: NESTED_OBJECTS },
    { label: 'duplicate keys', body: json(`{"dup":1,"dup":2${sep}${inner}`) },
    { label: 'duplicated body keys', body: json(base.replace(/^\{("[^"]+":)/, '{$1null,$1')) },
    { label: '__proto__ key', body: json(`{"__proto__":{"polluted":1}${sep}${inner}`) },
    { label: 'constructor key', body: json(`{"constructor":{"prototype":{"polluted":1}}${sep}${inner}`) },
    { label: '2 MiB body', body: TWO_MIB },
    { label: 'text/plain JSON', body: json(base, 'text/plain') },
    { label: 'form content type', body: json('a=b&c=%00', 'application/x-www-form-urlencoded') },
    {
      label: 'multipart',
      body: json(
        '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--zz--',
        'multipart/form-data; boundary=zz',
      ),
    },
    { label: 'xml', body: json('<a/>', 'application/xml') },
    { label: 'utf-16 charset', body: json(base, 'application/json; charset=utf-16') },
    { label: 'empty content type', body: json(base, '') },
    { label: 'empty body', body: json('') },
    { label: 'invalid JSON', body: json('{"a":') },
    { label: 'trailing garbage', body: json(`${base}x`) },
    { label: 'single quotes', body: json("{'a':1}") },
    { label: 'byte order mark', body: json(`\ufeff${base}`) },
    {
      label: 'invalid UTF-8',
      body: {
        bytes: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
        contentType: 'application/json',
      },
    },
    { label: 'null body', body: json('null') },
    { label: 'array body', body: json('[]') },
    { label: 'string body', body: json('"s"') },
    { label: 'number body', body: json('1e400') },
    { label: 'escaped NUL key', body: json(`{"\\u0000":1${sep}${inner}`) },
  ];
}

export interface CaseContext {
  ids: IdBook;
  /** Cases drawn at random after the per-field sweep. */
  randomCases: number;
  seed: number;
}

// Token callers twice: most cases should get past authentication to the handlers.
const AUTH_ROTATION: AuthMode[] = [
  'provider-token',
  'provider-aksk',
  'consumer-token',
  'provider-token',
  'anonymous',
];

export function casesFor(op: Operation, ctx: CaseContext): FuzzCase[] {
  const idOf = (actor: Actor, name: string): string | undefined => {
    const key =
      name === 'resource_id' ? (op.path.includes('/endpoint_service/') ? 'service_id' : 'endpoint_id') : name;
    return ctx.ids[actor][key];
  };
  const validPath = (actor: Actor): Record<string, string> =>
    Object.fromEntries(
      op.pathParams.map((p) => [
        p.name,
        encodeURIComponent(idOf(actor, p.name) ?? idOf(otherOf(actor), p.name) ?? NIL_UUID),
      ]),
    );
  const foreignIds = (actor: Actor) => Object.values(ctx.ids[otherOf(actor)]);
  const baseBody = (actor: Actor) =>
    op.body ? exampleOf(op.body, '', (field) => idOf(actor, field)) : undefined;
  const baseCase = (auth: AuthMode, label: string): FuzzCase => {
    const body = baseBody(actorOf(auth));
    return {
      label,
      auth,
      path: validPath(actorOf(auth)),
      query: [],
      ...(body !== undefined ? { body: json(serialise(body)) } : {}),
    };
  };
  const fields = op.body ? fieldsOf(op.body) : [];

  const auth = fc.constantFrom(...AUTH_ROTATION);
  const pathCase = (param: Parameter) =>
    fc.record({ auth, text: fc.constantFrom(...PATH_TEXTS), uuid: fc.uuid(), pick: fc.nat(3) }).map((r) => {
      const c = baseCase(r.auth, `path ${param.name}`);
      const foreign = idOf(otherOf(actorOf(r.auth)), param.name);
      const value = r.pick === 0 && foreign ? encodeURIComponent(foreign) : r.pick === 1 ? r.uuid : r.text;
      return { ...c, label: `${c.label}=${value.slice(0, 40)}`, path: { ...c.path, [param.name]: value } };
    });
  const queryNames = [...op.queryParams.map((p) => p.name), 'unknown_param', '__proto__'];
  const queryCase = (name: string, raw: fc.Arbitrary<boolean> = fc.boolean()) =>
    fc.record({ auth, raw, repeat: fc.nat(4), pick: fc.nat(1000) }).map((r) => {
      const c = baseCase(r.auth, `query ${name}`);
      const schema = op.queryParams.find((p) => p.name === name)?.schema ?? {};
      const texts = r.raw ? RAW_ESCAPES : (QUERY_TEXTS[typeOf(schema) ?? 'string'] ?? QUERY_TEXTS.string!);
      const value = texts[r.pick % texts.length]!;
      const part: QueryPart = { key: name, value, ...(r.raw ? { raw: true } : {}) };
      // A repeated parameter arrives as an array.
      const query = r.repeat === 0 ? [part, { key: name, value: 'second' }] : [part];
      return { ...c, label: `${c.label}=${value.slice(0, 40)}`, query };
    });
  const fieldCase = (
    field: Field,
    pool: fc.Arbitrary<'wrongType' | 'hostile'> = fc.constantFrom('wrongType', 'hostile'),
  ) =>
    fc.record({ auth, pool, pick: fc.nat(1000) }).map((r) => {
      const c = baseCase(r.auth, `body ${field.path.join('.')}`);
      const values = hostileValuesFor(field.schema, foreignIds(actorOf(r.auth)))[r.pool];
      const value = values[r.pick % values.length];
      const body = withValueAt(baseBody(actorOf(r.auth)), field.path, value);
      const shown = value instanceof Literal ? value.text : (JSON.stringify(value) ?? 'undefined');
      return { ...c, label: `${c.label}=${shown.slice(0, 40)}`, body: json(serialise(body)) };
    });
  // Each actor's plausible body gives one set of whole-body attacks, built once per operation.
  const rawBodiesOf = new Map<Actor, ReturnType<typeof rawBodies>>();
  const rawBodiesFor = (actor: Actor) => {
    let all = rawBodiesOf.get(actor);
    if (!all) rawBodiesOf.set(actor, (all = rawBodies(serialise(baseBody(actor) ?? {}))));
    return all;
  };
  const rawCase = fc.record({ auth, pick: fc.nat(1000) }).map((r) => {
    const c = baseCase(r.auth, 'body');
    const all = rawBodiesFor(actorOf(r.auth));
    const chosen = all[r.pick % all.length]!;
    return { ...c, label: `body: ${chosen.label}`, body: chosen.body };
  });

  const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number): T[] =>
    numRuns > 0 ? fc.sample(arb, { seed: ctx.seed + salt, numRuns }) : [];

  // The sweep: every path parameter broken twice; every query parameter with a bad
  // value and a bad escape; every body field with a wrong type and a hostile value
  // of its own type; every whole-body attack once.
  const cases: FuzzCase[] = [baseCase('provider-token', 'plausible request')];
  op.pathParams.forEach((p, i) => cases.push(...sample(pathCase(p), 2, 100 + i)));
  queryNames.forEach((name, i) => {
    cases.push(...sample(queryCase(name, fc.constant(false)), 1, 200 + i));
    cases.push(...sample(queryCase(name, fc.constant(true)), 1, 300 + i));
  });
  fields.forEach((f, i) => {
    cases.push(...sample(fieldCase(f, fc.constant('wrongType')), 1, 1000 + i));
    cases.push(...sample(fieldCase(f, fc.constant('hostile')), 1, 2000 + i));
  });
  rawBodiesFor('provider').forEach((r, i) => {
    const a = AUTH_ROTATION[i % AUTH_ROTATION.length]!;
    cases.push({ ...baseCase(a, ''), label: `body: ${r.label}`, body: r.body });
  });
  const random = fc.oneof(
    rawCase,
    fc.constantFrom(...queryNames).chain((name) => queryCase(name)),
    ...(op.pathParams.length ? [fc.constantFrom(...op.pathParams).chain(pathCase)] : []),
    ...(fields.length ? [fc.constantFrom(...fields).chain((f) => fieldCase(f))] : []),
  );
  cases.push(...sample(random, ctx.randomCases, 0));
  return cases;
}
