// The project's flows, as published (each handoff pins the version it started under).
import path from 'node:path';
import { defineRoute, type Route } from '../route.ts';
import { flowDetail, flowList, flowParams } from '../schemas.ts';

export function flowRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/flows',
      access: 'read',
      tag: 'flows',
      summary: 'The flows of the project',
      response: { description: 'Flows', schema: flowList },
      async handler({ baton }) {
        return { items: baton.flows() };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/flows/:flow',
      access: 'read',
      tag: 'flows',
      summary: 'One flow: its current version and definition',
      params: flowParams,
      response: { description: 'The flow', schema: flowDetail },
      errors: [404],
      async handler({ params, baton }) {
        const f = baton.flowDetail(params.flow);
        // The file relative to the project, not a path on the server's disk.
        return { ...f, file: path.relative(baton.project.dir, f.file) };
      },
    }),
  ];
}
