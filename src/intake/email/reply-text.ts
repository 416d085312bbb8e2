// The new text of a reply: what the sender wrote above the quote. Mail clients quote the earlier
// message with `>` lines under an attribution ("On Mon, 7 Dec 2026, Kim <kim@…> wrote:", which
// some wrap over two lines), or under Outlook's "-----Original Message-----" / "From: …" block.
// Everything from the first such marker down is dropped, and so are `>` lines anywhere.

const ATTRIBUTION =
  /^\s*(On\b.{0,300}\bwrote:|Le\b.{0,300}\ba écrit\s?:|Am\b.{0,300}\bschrieb\b.{0,100}:)\s*$/i;
const ORIGINAL = /^\s*(-{2,}\s*Original Message\s*-{2,}|_{10,}|-{2,}\s*Forwarded message\s*-{2,})\s*$/i;
const OUTLOOK_FROM = /^\s*From:\s.+$/;

export function replyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // An attribution wrapped over two lines: "On …, Kim <kim@" / "acme.com> wrote:".
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (ATTRIBUTION.test(line) || (/^\s*On\b/i.test(line) && ATTRIBUTION.test(joined))) break;
    if (ORIGINAL.test(line)) break;
    if (
      OUTLOOK_FROM.test(line) &&
      kept.length > 0 &&
      kept.at(-1)!.trim() === '' &&
      /^\s*(Sent|Date):/i.test(lines[i + 1] ?? '')
    )
      break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  // A signature separator ("-- ") ends what was written for this reply.
  const sig = kept.findIndex((l) => l === '-- ');
  const body = sig >= 0 ? kept.slice(0, sig) : kept;
  return body.join('\n').trim();
}
