// The audit log: verify its hash chains, or export it as NDJSON (one event per line).
import type { ServerResponse } from 'node:http';
import { verifyAudit } from '../../audit/verify.ts';
import { exportAudit } from '../../audit/export.ts';
import { BatonError } from '../../core/errors.ts';
import { refuseScoped, requireHandoff } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { auditVerify, eventPage, eventsQuery, exportQuery } from '../schemas.ts';
import { reachList } from '../auth.ts';
import { auditEventView } from '../../service/views.ts';
import { logInternal, mapError } from '../errors.ts';

class ClientGone extends Error {}

/** Writes a line, waiting when the client reads slower than we produce. */
async function writeLine(res: ServerResponse, line: string): Promise<void> {
  if (res.destroyed) throw new ClientGone('the client went away');
  if (res.write(line.endsWith('\n') ? line : `${line}\n`)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const NDJSON = { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' };

export function auditRoutes(bodyLimit: number, useLogger: boolean): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/events',
      access: 'read',
      scoped: 'checked',
      tag: 'audit',
      summary: 'Search the audit log: events by handoff, actor, type, flow and time, newest first',
      description:
        'A scoped token sees only the events of its flows. `since` and `until` bound the event times ' +
        '(until exclusive). Pass nextCursor as cursor for the next page.',
      query: eventsQuery,
      response: { description: 'One page of events', schema: eventPage },
      async handler({ query, caller, baton }) {
        const flows = reachList(caller);
        const { handoff, ...rest } = query;
        const page = await baton.store.searchEvents({
          ...rest,
          ...(handoff !== undefined ? { handoffId: handoff } : {}),
          ...(flows ? { flows } : {}),
        });
        return {
          items: page.items.map(auditEventView),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/audit/verify',
      access: 'read',
      tag: 'audit',
      summary: 'Check every hash chain and the checkpoint chain',
      response: {
        description: 'ok is false when anything was altered, removed or cut off',
        schema: auditVerify,
      },
      async handler({ baton }) {
        return verifyAudit(baton.store);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/audit/export',
      access: 'read',
      scoped: 'checked',
      tag: 'audit',
      summary: 'The audit log as NDJSON, one event per line',
      query: exportQuery,
      response: { description: 'NDJSON', contentType: 'application/x-ndjson' },
      errors: [404],
      async handler({ query, caller, baton, req, reply }) {
        if (query.handoff === undefined) refuseScoped(caller, 'the whole audit log');
        else await requireHandoff(baton, caller, query.handoff);
        if (query.handoff !== undefined && !(await baton.store.get(query.handoff))) {
          throw new BatonError('not_found', `handoff ${query.handoff} does not exist`);
        }
        reply.hijack();
        const res = reply.raw;
        try {
          await exportAudit(
            baton.store,
            (line) => {
              if (!res.headersSent) res.writeHead(200, NDJSON);
              return writeLine(res, line);
            },
            query.handoff !== undefined ? { handoffId: query.handoff } : {},
          );
          if (!res.headersSent) res.writeHead(200, NDJSON);
          res.end();
        } catch (e) {
          if (e instanceof ClientGone) return reply;
          const m = mapError(e, bodyLimit);
          if (m.internal) logInternal(req, e, useLogger);
          if (res.headersSent) {
            // Mid-stream: cut the connection so the client sees an incomplete export.
            res.destroy();
          } else {
            res.writeHead(m.status, { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify(m.body));
          }
        }
        return reply;
      },
    }),
  ];
}
