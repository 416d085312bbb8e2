// The text and HTML of a notice email. Every value is escaped: approval summaries and
// parameters may carry text from outside (an intake payload).
import type { Person } from '../../core/project-schema.ts';
import type { NoticeMessage } from '../../channels/message.ts';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One line for a subject: no line breaks (header injection), bounded length. */
const oneLine = (s: string, max = 180): string => {
  const t = s.replace(/[\r\n\t]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export function composeEmail(
  m: NoticeMessage,
  person: Person,
  link: { url: string; expiresAt: number } | undefined,
): { subject: string; text: string; html: string } {
  const what = m.action?.kind === 'approve' ? 'approve or reject' : 'accept';
  const until = link ? new Date(link.expiresAt).toISOString() : '';
  const greeting = `Hello ${person.name ?? person.id},`;
  const text = [
    greeting,
    '',
    ...m.lines,
    ...(link
      ? ['', `To ${what}, open this link (it works once, for you only, until ${until}):`, link.url]
      : []),
    '',
    'Baton',
  ].join('\n');
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    ...m.lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    ...(link
      ? [
          `<p><a href="${escapeHtml(link.url)}">Open to ${what}</a> (works once, for you only, until ${escapeHtml(until)})</p>`,
        ]
      : []),
    '<p>Baton</p>',
  ].join('\n');
  return { subject: oneLine(m.subject), text, html };
}
