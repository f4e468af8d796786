/**
 * Database URLs carry a password (`postgres://user:password@host/db`). Any text
 * that may show one — an error message, a log line, a banner — goes through
 * here first, so the password never leaves the process, while the rest of the
 * URL still tells the operator which database is meant.
 */

// scheme://user:password@ — the user part stops at the first ':', the password at
// the last '@' before the host (a password may itself hold '@' or '/'), and neither
// crosses whitespace or a quote, so two URLs in one message are redacted separately.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/'"`]*):([^\s'"`]*)@(?=[^\s@'"`]*(?:[\s'"`]|$))/gi;

/** Every `scheme://user:password@` in `text` becomes `scheme://user:***@`. */
export function redactUrls(text: string): string {
  return text.replace(USERINFO, '$1$2:***@');
}

/** An error whose message (and stack, which repeats it) holds no password from a URL. */
export function redactError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(redactUrls(String(err)));
  const message = redactUrls(err.message);
  // Driver errors carry extra fields (Node's URL errors keep the whole input); a
  // copy with the message alone is what may be printed or logged.
  const clean = new Error(message);
  clean.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(clean, { code });
  if (err.stack !== undefined) clean.stack = redactUrls(err.stack);
  return clean;
}
