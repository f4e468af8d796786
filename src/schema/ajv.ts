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

/** One readable line per ajv error, naming the offending key. */
export function describeAjvError(err: ErrorObject, root: string): string {
  const base = instancePathToKey(err.instancePath);
  const join = (child: string): string => (base === '' ? child : `${base}.${child}`);
  if (err.keyword === 'additionalProperties') {
    const extra = String((err.params as { additionalProperty?: string }).additionalProperty);
    return `${root} key '${join(extra)}' is not a known key`;
  }
  if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty?: string }).missingProperty);
    return `${root} key '${join(missing)}' is required`;
  }
  const where = base === '' ? root : `${root} key '${base}'`;
  return `${where} ${err.message ?? 'is invalid'}`;
}
