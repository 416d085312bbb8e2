// GET /v1/openapi.json: the API description (no project data in it, so no token needed).
import { z } from 'zod';
import { defineRoute, type Route } from '../route.ts';

export function docsRoutes(document: () => Record<string, unknown>): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/openapi.json',
      access: 'public',
      tag: 'ops',
      summary: 'This document (OpenAPI 3.1)',
      response: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) },
      async handler() {
        return document();
      },
    }),
  ];
}
