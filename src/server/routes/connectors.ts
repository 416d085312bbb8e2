// The configured connectors (secrets masked) and a check of each: one read call that proves
// the credentials and the base URL work. Both are for operators: settings name internal hosts.
import { defineRoute, type Route } from '../route.ts';
import { connectorChecks, connectorList, connectorParams } from '../schemas.ts';

export function connectorRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/connectors',
      access: 'operate',
      tag: 'connectors',
      summary: 'The configured connectors, their actions and context sources, and the flows that fall back',
      response: { description: 'Connectors', schema: connectorList },
      async handler({ baton }) {
        return baton.connectors();
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/connectors/check',
      access: 'operate',
      tag: 'connectors',
      summary: 'Check every connector with one read call',
      response: { description: 'One result per connector', schema: connectorChecks },
      async handler({ baton }) {
        return { items: await baton.checkConnectors() };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/connectors/:name/check',
      access: 'operate',
      tag: 'connectors',
      summary: 'Check one connector with one read call',
      params: connectorParams,
      response: { description: 'The result', schema: connectorChecks },
      errors: [404],
      async handler({ params, baton }) {
        return { items: await baton.checkConnectors(params.name) };
      },
    }),
  ];
}
