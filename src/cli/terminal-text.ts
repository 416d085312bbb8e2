// Text from handoffs (intake input, comments, task titles) reaches people's terminals. Control
// characters in it could clear the screen, set the window title, move the cursor or reorder
// what is shown (bidi overrides); every human output escapes them into visible text instead.

/** C0 (but tab and newline, see below), DEL, C1, line/paragraph separators, bidi controls. */
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** The same plus tab and newline: for a value that must stay on one line (a table cell). */
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
}

/** Multi-line output: newlines and tabs stay, every other control character becomes visible. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, visible);
}

/** One value on one line: newlines and tabs become visible too. */
export function oneLine(text: string): string {
  return text.replace(CONTROL_ONE_LINE, visible);
}
