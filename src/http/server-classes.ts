import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

/** What node's HTTP server builds each request and response from (http.createServer's options). */
export interface ServerClasses {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
}

const made = new WeakMap<Express, ServerClasses>();

/**
 * Request and response classes that already are what express makes of them. Express gives every
 * request its methods by changing the prototype of node's request and response objects
 * (`Object.setPrototypeOf` in app.handle), and V8 turns an object whose prototype changed into a
 * slow one: a lookup spent about a fifth of its CPU on that and on the dictionary property accesses
 * it left behind (bench/RESULTS.md, 2026-12-05). A server given these classes constructs objects
 * whose prototype is already the app's, so express's setPrototypeOf finds nothing to change. A
 * request from any other server (a test's) is given the prototype as before. Idempotent per app.
 */
export function serverClasses(app: Express): ServerClasses {
  const known = made.get(app);
  if (known) return known;
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  // The app's request and response prototypes become the classes' own (inheriting what they were),
  // so app.handle's setPrototypeOf(req, app.request) sets the prototype the object has.
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  const target = app as unknown as { request: object; response: object };
  target.request = AppRequest.prototype;
  target.response = AppResponse.prototype;
  const classes = { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof ServerResponse };
  made.set(app, classes);
  return classes;
}
