// The email trigger's parser: a raw `message/rfc822` payload → the `mail` and `recipient` its map
// reads (trigger-schema.ts), the thread it belongs to (In-Reply-To, References) and, for a reply,
// the comment (the new text and the sender). postal-mime parses (docs/decisions.md says why); it
// forgives almost anything, so what it would silently paper over is refused here with a reason:
// no header block, no sender, a multipart body without its boundary or cut off before the end,
// and text that is not valid in its charset (it would reach the flow as U+FFFD).
import { createHash } from 'node:crypto';
import { payloadBytes } from '../payload.ts';
import PostalMime, { decodeWords, type Address, type Email } from 'postal-mime';
import type { Parsed, ParseContext, RawPayload } from '../port.ts';
import { headerBlock, headersOf, mailKey, messageIds } from './raw-mail.ts';
import { replyText } from './reply-text.ts';

export interface MailAddress {
  address: string;
  name: string;
}

export interface MailAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** Where the bytes are kept (GET /v1/intake/attachments/{ref}); absent when skipped. */
  ref?: string;
  /** Why it was left out: too_large (over attachments.maxBytes), too_many (past maxCount). */
  skipped?: 'too_large' | 'too_many';
}

const DEFAULT_LIMITS = { maxBytes: 10 * 1024 * 1024, maxCount: 20 };
const REPLACEMENT = '\uFFFD';

/** What makes a mail broken beyond what a lenient parser shows; undefined when it looks whole. */
function brokenMime(bytes: Uint8Array, headers: Map<string, string[]>): string | undefined {
  const block = headerBlock(bytes);
  if (headers.size === 0 || !/^[!-9;-~]+:/.test(block)) return 'the mail has no header block';
  const type = headers.get('content-type')?.[0] ?? '';
  if (/^\s*multipart\//i.test(type)) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type);
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) return 'a multipart mail without a boundary parameter';
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const esc = b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!new RegExp(`(^|\\n)--${esc}[ \\t]*\\r?\\n`).test(text))
      return `a multipart mail whose boundary "${b}" never appears`;
    if (!new RegExp(`(^|\\n)--${esc}--`).test(text))
      return `the multipart mail ends before its closing boundary "--${b}--" (cut off?)`;
  }
  return undefined;
}

/** U+FFFD in the decoded text that the raw mail did not hold: bytes invalid in their charset. */
function invalidText(bytes: Uint8Array, fields: Array<[string, string | undefined]>): string | undefined {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw.includes(Buffer.from(REPLACEMENT, 'utf8')) || /=EF=BF=BD/i.test(raw.toString('latin1')))
    return undefined;
  const bad = fields.filter(([, v]) => v?.includes(REPLACEMENT)).map(([k]) => k);
  return bad.length
    ? `the ${bad.join(' and ')} hold bytes that are not valid in their charset (e.g. invalid UTF-8)`
    : undefined;
}

const mailbox = (a: Address | undefined): MailAddress[] => {
  if (!a) return [];
  if (a.group) return a.group.map((m) => ({ address: m.address.toLowerCase(), name: m.name }));
  return a.address ? [{ address: a.address.toLowerCase(), name: a.name }] : [];
};
const mailboxes = (list: Address[] | undefined): MailAddress[] => (list ?? []).flatMap(mailbox);

export async function parseMail(raw: RawPayload, ctx: ParseContext): Promise<Parsed> {
  if (raw.contentType !== 'message/rfc822')
    throw new Error(`expected message/rfc822, got ${raw.contentType}`);
  if (raw.truncated) throw new Error('only the start of the mail was kept (it was over the size limit)');
  const bytes = payloadBytes(raw);
  const headers = headersOf(bytes);
  const broken = brokenMime(bytes, headers);
  if (broken) throw new Error(broken);
  let m: Email;
  try {
    m = await PostalMime.parse(bytes, { attachmentEncoding: 'arraybuffer', maxPartCount: 1000 });
  } catch (e) {
    throw new Error(`the MIME structure cannot be read: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const from = mailbox(m.from)[0];
  if (!from) throw new Error('the mail has no From address');
  const invalid = invalidText(bytes, [
    ['subject', m.subject],
    ['text', m.text],
    ['HTML', m.html],
    ['sender name', from.name],
  ]);
  if (invalid) throw new Error(invalid);

  const limits = ctx.trigger?.email?.attachments ?? DEFAULT_LIMITS;
  const attachments: MailAttachment[] = [];
  let kept = 0;
  for (const a of m.attachments) {
    const content = a.content as ArrayBuffer;
    const size = content.byteLength;
    const entry: MailAttachment = { filename: a.filename, contentType: a.mimeType, size };
    if (size > limits.maxBytes) entry.skipped = 'too_large';
    else if (kept >= limits.maxCount || !ctx.files) entry.skipped = 'too_many';
    else {
      const data = new Uint8Array(content);
      const ref = `att_${createHash('sha256').update(data).digest('hex')}`;
      await ctx.files.put({
        ref,
        bytes: data,
        size,
        contentType: a.mimeType,
        ...(a.filename ? { filename: a.filename } : {}),
        createdAt: Date.now(),
      });
      entry.ref = ref;
      kept++;
    }
    attachments.push(entry);
  }

  const inReplyTo = messageIds(m.inReplyTo);
  const references = messageIds(m.references);
  const headerMap: Record<string, string> = {};
  // Encoded words (RFC 2047) decoded; a header seen twice keeps its first value (the newest Received).
  for (const [k, v] of headers)
    headerMap[k] = decodeWords(m.headers.find((h) => h.key === k)?.value ?? v[0]!);
  const text = m.text ?? '';
  const mail = {
    messageId: mailKey(bytes, headers),
    inReplyTo: inReplyTo[0] ?? null,
    references,
    from,
    to: mailboxes(m.to),
    cc: mailboxes(m.cc),
    replyTo: mailboxes(m.replyTo),
    subject: m.subject ?? '',
    text,
    html: m.html ?? '',
    date: m.date ?? null,
    headers: headerMap,
    attachments,
  };
  const recipient = raw.meta?.recipient ?? mail.to[0]?.address ?? '';
  // The nearest first: the message replied to, then the rest of the chain, newest first.
  const thread = [...new Set([...inReplyTo, ...references.toReversed()])];
  return {
    vars: { mail, recipient },
    ...(thread.length
      ? { thread, comment: { text: replyText(text) || mail.subject, from: from.address } }
      : {}),
  };
}
