// Text from tenants (names, descriptions, paths) reaches terminals through the
// client commands and the server's log; escaped here, no control sequence in it
// can move the cursor, retitle the window or hide text.

/** C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text safe to show in a terminal: every unsafe character as `\xNN` or `\uNNNN`. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}
