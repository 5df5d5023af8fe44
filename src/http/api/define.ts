import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../../services/validate.js';

/**
 * One table drives both the express routes and the OpenAPI document, so the two cannot drift.
 * A handler gets parsed params, query and body and returns a status and a body; the response
 * schemas are what the document promises (tests validate every response against it).
 */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** OpenAPI style: /orgs/{org}/members/{id} */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export type HandlerResult = { status: number; body?: unknown; headers?: Record<string, string> };

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export class ApiRegistry {
  readonly routes: AnyRouteSpec[] = [];

  constructor(private readonly router: Router) {}

  add<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<HandlerResult>,
  ): void {
    this.routes.push(spec as unknown as AnyRouteSpec);
    const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    this.router[spec.method](expressPath, async (req: Request, res: Response) => {
      const params = (spec.params ? parseInput(spec.params, req.params) : req.params) as z.output<P>;
      const query = (spec.query ? parseInput(spec.query, req.query) : {}) as z.output<Q>;
      const body = (spec.body ? parseInput(spec.body, req.body ?? {}) : undefined) as z.output<B>;
      const out = await handler({ params, query, body, req, res });
      for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
    });
  }
}
