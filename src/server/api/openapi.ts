import { z } from 'zod';
import type { Route } from './route.js';

/** The OpenAPI 3.1 description of the API, generated from the route table's schemas. */
export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    if (r.params) for (const [name, schema] of Object.entries(objectShape(r.params))) parameters.push({ name, in: 'path', required: true, schema });
    if (r.query) for (const [name, schema] of Object.entries(objectShape(r.query))) parameters.push({ name, in: 'query', required: false, schema });
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      'x-breakwater-role': r.role,
      parameters,
      responses: {
        '200': { description: 'success', content: { [r.produces ?? 'application/json']: { schema: r.response ? z.toJSONSchema(r.response, { unrepresentable: 'any' }) : {} } } },
        default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { unrepresentable: 'any' }) } } };
    if (r.role !== 'public') op.security = r.tokenInQuery ? [{ bearer: [] }, { queryToken: [] }] : [{ bearer: [] }];
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Breakwater control plane API', version },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from `breakwater token create` (bwt_...)' },
        queryToken: { type: 'apiKey', in: 'query', name: 'token', description: 'The same token as `?token=`, on the server-sent event streams only (GET /api/v1/events/stream, GET /api/v1/query/live: EventSource cannot send headers)' },
      },
      schemas: {
        Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } },
      },
    },
  };
}

function objectShape(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return json.properties ?? {};
}
