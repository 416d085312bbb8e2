// The files that came with mail (email attachments), by reference: read-only bytes, always as a
// download. Never rendered or run: octet-stream, `Content-Disposition: attachment` and nosniff,
// so a browser cannot be talked into treating an attached page or script as Baton's own.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import { defineRoute, type Route } from '../route.ts';

const attachmentParams = z.strictObject({
  ref: z.string().regex(/^att_[0-9a-f]{64}$/, 'an attachment reference: att_ and 64 hex digits'),
});

/** A filename safe for the header: printable ASCII without quotes or separators, else the ref. */
function downloadName(filename: string | undefined, ref: string): string {
  const safe = (filename ?? '')
    .replace(/[^A-Za-z0-9._ -]/g, '_')
    .trim()
    .slice(0, 150);
  return safe === '' || /^[._ ]+$/.test(safe) ? ref : safe;
}

export function intakeAttachmentRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/intake/attachments/:ref',
      access: 'read',
      tag: 'intake',
      summary: "A mail attachment's bytes (mail.attachments[].ref), as a download",
      params: attachmentParams,
      response: {
        description: 'The bytes as they arrived',
        contentType: 'application/octet-stream',
        headers: {
          'content-disposition': { description: 'attachment; filename="…"', required: true },
          'x-content-type-options': { description: 'nosniff', required: true },
        },
      },
      errors: [404],
      async handler({ params, baton, reply }) {
        const a = await baton.store.intake.attachment(params.ref);
        if (!a) throw new BatonError('not_found', `no attachment ${params.ref}`);
        const name = downloadName(a.filename, a.ref);
        return reply
          .code(200)
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${name}"`)
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', 'private, max-age=3600, immutable')
          .send(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength));
      },
    }),
  ];
}
