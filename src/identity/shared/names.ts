// What IAM accepts as names and descriptions. Control characters never pass:
// a name is shown in consoles and logs, and NUL cannot be stored by PostgreSQL.

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** User names: 1–64 of letters, digits, space, `-`, `_`, `.`; not starting with a digit or space. */
export function isUserName(name: string): boolean {
  return /^[A-Za-z_.-][A-Za-z0-9 _.-]{0,63}$/.test(name) && !name.endsWith(' ');
}

/** Group names: 1–64 of letters, digits, space, `-`, `_`, `.`; no space at either end. */
export function isGroupName(name: string): boolean {
  return /^[A-Za-z0-9_.-](?:[A-Za-z0-9 _.-]{0,62}[A-Za-z0-9_.-])?$/.test(name);
}

/** Policy display names: 1–64 letters (any script), digits, space, `-`, `_`, `.`; no space at either end. */
export function isDisplayName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && /^[\p{L}\p{N} _.-]+$/u.test(name) && name.trim() === name;
}

/** Free text (descriptions): at most `max` characters, no control characters. */
export function isDescription(text: string, max = 255): boolean {
  return text.length <= max && !CONTROL.test(text);
}

/** Email addresses: a plain shape, at most 255 characters. */
export function isEmail(text: string): boolean {
  return text.length <= 255 && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(text) && !CONTROL.test(text);
}

/**
 * IAM's password rule: 6–32 characters of at least two kinds (upper case, lower
 * case, digits, other), neither the user name nor the user name reversed.
 */
export function isStrongPassword(password: string, userName: string): boolean {
  if (password.length < 6 || password.length > 32 || CONTROL.test(password)) return false;
  const kinds = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  const reversed = [...userName].reverse().join('');
  return kinds >= 2 && password !== userName && password !== reversed;
}
