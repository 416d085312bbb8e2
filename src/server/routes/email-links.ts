// Email link pages: GET (and HEAD) show what the link is for and change nothing; a POST of the
// page's form decides (approve / reject / accept). The token in the form is the credential, so a
// page elsewhere cannot forge the POST; requests that a browser marks as cross-site are refused.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BatonApi } from '../../service/api.ts';
import { LINK_PATH } from '../../channels/links.ts';
import type { LinkChoice } from '../../channels/confirm.ts';
import { confirmPage, outcomePage, sendPage } from '../pages.ts';

const CHOICES = new Set<LinkChoice>(['approve', 'reject', 'accept']);

export function emailLinkRoutes(baton: BatonApi) {
  const publicOrigin = originOf(baton.project.def.server.publicUrl);
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const url = `${LINK_PATH}:token`;
    scope.get(url, async (req, reply) => {
      const { token } = req.params as { token: string };
      return sendPage(reply, confirmPage(await baton.linkView(token), token), req.method === 'HEAD');
    });
    scope.post(url, async (req, reply) => {
      const { token } = req.params as { token: string };
      const form = (req.body ?? {}) as Record<string, string>;
      const refused = crossSite(req, publicOrigin);
      if (refused) return sendPage(reply, outcomePage({ ok: false, code: 'forbidden', message: refused }));
      if (form.token !== token) {
        return sendPage(
          reply,
          outcomePage({
            ok: false,
            code: 'validation_failed',
            message: 'Use the form of the page the link opens.',
          }),
        );
      }
      const choice = form.decision as LinkChoice;
      if (!CHOICES.has(choice)) {
        return sendPage(
          reply,
          outcomePage({ ok: false, code: 'validation_failed', message: 'Choose approve, reject or accept.' }),
        );
      }
      const comment =
        typeof form.comment === 'string' && form.comment.trim()
          ? form.comment.trim().slice(0, 2000)
          : undefined;
      return sendPage(reply, outcomePage(await baton.useLink(token, choice, comment)));
    });
  };
}

function originOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/** Why a POST is refused as coming from another site (undefined: it is not). */
function crossSite(req: FastifyRequest, publicOrigin: string | undefined): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return 'The form must be sent from its own page.';
  const origin = req.headers.origin;
  // No Origin: not a browser's form (a browser sends one with every POST); the token protects.
  if (origin === undefined) return undefined;
  // `null` is an opaque origin: a sandboxed frame, a data: page or a redirect across sites. The
  // confirm page cannot be framed and posts to itself, so its own form never sends it.
  if (origin === 'null') return 'The form must be sent from its own page: open the link again.';
  const host = req.headers.host;
  const own = new Set([
    publicOrigin,
    host ? `http://${host}` : undefined,
    host ? `https://${host}` : undefined,
  ]);
  return own.has(origin) ? undefined : 'The form must be sent from its own page.';
}
