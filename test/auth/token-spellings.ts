// Spellings of one token that Node's lenient base64url decoder reads as the same
// bytes, for tests proving that only the genuine spelling is accepted.

export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The token's payload and signature parts. */
export function tokenParts(token: string): { head: string; payload: string; sig: string } {
  const dot = token.lastIndexOf('.');
  const head = token.slice(0, token.indexOf('.') + 1);
  return { head, payload: token.slice(head.length, dot), sig: token.slice(dot + 1) };
}

/** Other spellings Node's lenient base64url decoder maps to the same signature bytes. */
export function signatureRespellings(token: string): string[] {
  const { head, payload, sig } = tokenParts(token);
  const last = BASE64URL_ALPHABET.indexOf(sig.at(-1)!);
  const body = sig.slice(0, -1);
  const out = [1, 2, 3].map((bits) => `${head}${payload}.${body}${BASE64URL_ALPHABET[last ^ bits]}`);
  out.push(`${token}=`, `${token}==`, `${token}!`, `${head}${payload}.${sig.slice(0, 8)}=${sig.slice(8)}`);
  out.push(`${head}${payload}.${sig.slice(0, 8)} ${sig.slice(8)}`);
  if (/[-_]/.test(sig)) out.push(`${head}${payload}.${sig.replace(/-/g, '+').replace(/_/g, '/')}`);
  return out;
}
