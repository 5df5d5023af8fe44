import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: Json } } }> }>> };

/**
 * An admin API client that checks every response against the served OpenAPI document: the
 * status must be documented for that operation (or fall under `default`) and the body must match.
 */
export class ApiClient {
  private readonly validators = new Map<string, ValidateFunction>();
  readonly violations: string[] = [];

  private constructor(
    readonly base: string,
    private readonly doc: Doc,
  ) {}

  static async connect(base: string): Promise<ApiClient> {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as Doc;
    return new ApiClient(base, doc);
  }

  private template(path: string, method: string): string | undefined {
    const clean = path.split('?')[0]!;
    return Object.keys(this.doc.paths).find((t) => {
      const re = new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`);
      return re.test(clean) && this.doc.paths[t]![method];
    });
  }

  private validator(template: string, method: string, status: string): ValidateFunction | undefined {
    const key = `${method} ${template} ${status}`;
    if (!this.validators.has(key)) {
      const responses = this.doc.paths[template]![method]!.responses;
      const schema = (responses[status] ?? responses.default)?.content?.['application/json']?.schema;
      if (!schema) return undefined;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      ajv.addSchema({ $id: 'doc', ...(this.doc as unknown as Json) });
      this.validators.set(key, ajv.compile(schema.$ref ? { $ref: `doc${String(schema.$ref)}` } : schema));
    }
    return this.validators.get(key);
  }

  async call<T = Json>(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : undefined) as T;
    const m = method.toLowerCase();
    const template = this.template(path, m);
    if (!template) this.violations.push(`${method} ${path}: not in the OpenAPI document`);
    else {
      const documented = this.doc.paths[template]![m]!.responses;
      if (!documented[String(res.status)] && !(res.status >= 400 && documented.default)) this.violations.push(`${method} ${path}: status ${res.status} not documented`);
      const v = this.validator(template, m, String(res.status));
      if (v && parsed !== undefined && !v(parsed)) this.violations.push(`${method} ${path} ${res.status}: ${JSON.stringify(v.errors?.slice(0, 3))}`);
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
}
