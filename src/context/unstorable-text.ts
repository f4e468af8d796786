// PostgreSQL refuses U+0000 in text (and unpaired UTF-16 surrogates in json),
// where SQLite stores them. Whatever reaches the store from outside (request
// bodies, the configuration's test bed) is checked here first, so both stores
// behave alike and no driver error surfaces as a 500.

/** NUL, or a surrogate that is not half of a well-formed pair. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string, key or value anywhere in `value` cannot be stored. */
export function holdsUnstorableText(value: unknown): boolean {
  // Iterative: a hostile body may nest deeper than the call stack allows.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (Array.isArray(v)) {
      // A loop, not push(...v): a huge array would overflow the argument list.
      for (const item of v as unknown[]) pending.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}
