// The project's flows, as published (each handoff pins the version it started under).
import path from 'node:path';
import { inReach } from '../auth.ts';
import { requireFlow } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { flowDetail, flowList, flowParams, flowReload } from '../schemas.ts';

export function flowRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/flows',
      access: 'read',
      scoped: 'checked',
      tag: 'flows',
      summary: 'The flows of the project',
      response: { description: 'Flows', schema: flowList },
      async handler({ caller, baton }) {
        return { items: baton.flows().filter((f) => inReach(caller, f.id)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/flows/:flow',
      access: 'read',
      scoped: 'checked',
      tag: 'flows',
      summary: 'One flow: its current version and definition',
      params: flowParams,
      response: { description: 'The flow', schema: flowDetail },
      errors: [404],
      async handler({ params, caller, baton }) {
        requireFlow(caller, params.flow);
        const f = baton.flowDetail(params.flow);
        const [t] = await baton.triggers(params.flow);
        // The file relative to the project, not a path on the server's disk.
        return { ...f, file: path.relative(baton.project.dir, f.file), triggers: t?.triggers ?? [] };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/flows/reload',
      access: 'admin',
      tag: 'flows',
      summary: 'Read the flow files again and make their new versions live',
      description:
        'Each flow file that loads publishes its new version (content hash) for new handoffs; running ' +
        'handoffs keep the version they pinned. A file that fails to load keeps its flow live as it was ' +
        'and is listed in `errors` with file, line and field. `baton serve` also reloads when a flow ' +
        'file changes and on SIGHUP.',
      response: { description: 'What changed, and what did not load', schema: flowReload },
      async handler({ baton }) {
        return baton.reloadFlows();
      },
    }),
  ];
}
