// GET /v1/stream: server-sent events for live views (the console).
import type { StreamHub } from '../stream.ts';
import { requireNamedFlow } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { streamEvent, streamQuery } from '../schemas.ts';

export function streamRoutes(hub: StreamHub): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/stream',
      access: 'read',
      scoped: 'checked',
      tag: 'ops',
      summary: 'Live updates (server-sent events)',
      description:
        'One `handoff` event per committed change: data is a JSON object (schema below). Comment lines ' +
        'are heartbeats.',
      query: streamQuery,
      response: { description: 'An event stream', contentType: 'text/event-stream', schema: streamEvent },
      async handler({ query, caller, reply }) {
        requireNamedFlow(caller, query.flow);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 3000\n: connected\n\n');
        // The hub drops the client when the response closes (the client went away).
        hub.add(res, query.flow);
        return reply;
      },
    }),
  ];
}
