import { z } from 'zod';
import type { AnyRouteSpec } from './define.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;

function parameters(spec: AnyRouteSpec) {
  const out: unknown[] = [];
  const add = (where: 'path' | 'query', schema: z.ZodType | undefined) => {
    if (!schema) return;
    const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { description?: string }>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop, ...(prop.description ? { description: prop.description } : {}) });
    }
  };
  add('path', spec.params);
  add('query', spec.query);
  return out;
}

/** The OpenAPI 3.1 document of the admin API, built from the same table as the routes. */
export function openApiDocument(routes: AnyRouteSpec[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      responses[status] = { description: resp.description, ...(resp.schema ? { content: { 'application/json': { schema: json(resp.schema) } } } : {}) };
    }
    responses['401'] ??= { description: 'Missing, unknown or revoked admin key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    responses['429'] ??= {
      description: 'Too many requests for this admin key (api.rate_limited; see the RateLimit headers), or too many failed authentication attempts from this client address (auth.throttled); see Retry-After',
      headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    responses['503'] ??= {
      description: 'The store cannot be reached right now (store.unavailable); retry after Retry-After seconds',
      headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    responses['default'] = { description: 'A coded error (see the README error table)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: parameters(r),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'idsync admin API', version: '1', description: 'Organizations, members, roles, teams, SCIM tokens, audit and access checks. Authenticate with `Authorization: Bearer <admin key>`.' },
    servers: [{ url: serverUrl }],
    security: [{ adminKey: [] }],
    components: {
      securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'An admin key from `idsync admin-keys create`' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, requestId: { type: 'string' } } } },
        },
      },
    },
    paths,
  };
}
