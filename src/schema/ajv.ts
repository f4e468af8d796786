import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS; under ESM its callable export sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

/**
 * Builds the ajv instances the project validates with. Bodies and configuration
 * are validated without type coercion (a JSON string "10" is not an integer),
 * while query strings and path parameters, which are text on the wire, are coerced.
 */
export function createAjv(kind: 'strict' | 'coercing', extra: Options = {}): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: kind === 'coercing' ? 'array' : false,
    ...extra,
  });
  addFormats(ajv);
  return ajv;
}

/** `/a/b/0` → `a.b[0]`: how users name a key in YAML or JSON. */
export function instancePathToKey(path: string): string {
  let key = '';
  for (const part of path.split('/').slice(1)) {
    const name = part.replaceAll('~1', '/').replaceAll('~0', '~');
    key += /^\d+$/.test(name) ? `[${name}]` : key === '' ? name : `.${name}`;
  }
  return key;
}

/** The values a schema allows when it is a list of constants (an enum, or a union of literals). */
function allowedValues(schema: unknown): unknown[] | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const s = schema as { enum?: unknown; anyOf?: unknown };
  if (Array.isArray(s.enum)) return s.enum as unknown[];
  if (!Array.isArray(s.anyOf)) return undefined;
  const values: unknown[] = [];
  for (const member of s.anyOf) {
    if (member === null || typeof member !== 'object' || !('const' in member)) return undefined;
    values.push((member as { const: unknown }).const);
  }
  return values;
}

function listed(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/**
 * One readable line per ajv error, naming the offending key. Errors of a
 * validator compiled with `verbose: true` also say what is allowed: the known
 * keys of the object, or the values of a list of constants.
 */
export function describeAjvError(err: ErrorObject, root: string): string {
  const base = instancePathToKey(err.instancePath);
  const join = (child: string): string => (base === '' ? child : `${base}.${child}`);
  if (err.keyword === 'additionalProperties') {
    const extra = String((err.params as { additionalProperty?: string }).additionalProperty);
    const properties = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
    const known = properties
      ? `; the known keys${base === '' ? '' : ` of '${base}'`} are ${listed(Object.keys(properties))}`
      : '';
    return `${root} key '${join(extra)}' is not a known key${known}`;
  }
  if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty?: string }).missingProperty);
    return `${root} key '${join(missing)}' is required`;
  }
  const where = base === '' ? root : `${root} key '${base}'`;
  const values = allowedValues(err.parentSchema);
  if (values && (err.keyword === 'anyOf' || err.keyword === 'enum'))
    return `${where} must be one of ${listed(values)}`;
  return `${where} ${err.message ?? 'is invalid'}`;
}

/**
 * describeAjvError() for a whole list, without the noise of unions: the
 * per-member failures of a union of constants are left out, its own error says
 * which values are allowed.
 */
export function describeAjvErrors(errors: readonly ErrorObject[], root: string): string[] {
  const unions = new Set(
    errors.filter((e) => e.keyword === 'anyOf' && allowedValues(e.parentSchema)).map((e) => e.instancePath),
  );
  const kept = errors.filter((e) => !(e.keyword === 'const' && unions.has(e.instancePath)));
  return [...new Set(kept.map((e) => describeAjvError(e, root)))];
}
