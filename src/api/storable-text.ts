import { holdsUnstorableText } from '../context/unstorable-text.ts';
import { ApiError } from '../errors/api-error.ts';

// PostgreSQL refuses U+0000 in text (and unpaired UTF-16 surrogates in json),
// where SQLite stores them; a driver error there would be a 500. Such strings
// are refused here, before any query, so both stores answer alike: 400
// EndPoint.0002. The checks cost nothing for ordinary requests: a URL is only
// looked at when it holds a `%`, a body only walked when its text holds an
// escape that can produce one of these characters.

/** `\u0000`, or a `\uD800`–`\uDFFF` escape (half of a surrogate pair), in JSON text. */
const RISKY_ESCAPE = /\\u(?:0000|d[89a-f])/i;
export const unstorableTextError = (where: string) =>
  new ApiError(
    'EndPoint.0002',
    `Parameter error: the ${where} holds a NUL character or an unpaired surrogate, which cannot be stored.`,
  );

export const badEscapeError = () =>
  new ApiError('EndPoint.0002', 'Parameter error: the URL holds a malformed percent escape.');

/**
 * For a JSON body parsed from `text`: the error to answer when it holds a string
 * that cannot be stored. Raw NULs and lone surrogates cannot come out of valid
 * UTF-8 JSON, so only an escape in the text can produce one.
 */
export function bodyTextProblem(text: string, parsed: unknown): ApiError | undefined {
  if (!RISKY_ESCAPE.test(text)) return undefined;
  return holdsUnstorableText(parsed) ? unstorableTextError('request body') : undefined;
}

/**
 * For a request target as received: a `%00` anywhere, or a `%` escape that does
 * not decode to UTF-8 (the router refuses those in the path; the query parser
 * would keep them literally). Decoding the whole target at once is enough: the
 * separators `&`, `=` and `/` are ASCII and cannot sit inside a UTF-8 sequence.
 */
export function urlTextProblem(rawUrl: string): ApiError | undefined {
  if (!rawUrl.includes('%')) return undefined;
  if (rawUrl.includes('%00')) return unstorableTextError('URL');
  try {
    decodeURIComponent(rawUrl);
  } catch {
    return badEscapeError();
  }
  return undefined;
}
