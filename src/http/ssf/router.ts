import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import type { Store } from '../../ports/store.js';
import { assertCanAdminister } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import { adminAuth, type AdminAuthGuards } from '../api/auth.js';

/**
 * The Shared Signals transmitter (OpenID SSF 1.0): the configuration metadata and the JWKS (no
 * auth), then stream management and poll delivery for receivers holding an admin key (an
 * org-scoped key for its org's stream, a provider-wide key for every org's). `rateLimit` is the
 * admin API's per-key limiter (api/rate-limit.ts): mounted after adminAuth, so a key's requests to
 * /ssf and to /api/v1 draw on one budget, counted where the API's are (memory, Redis, PostgreSQL).
 */
export function ssfRouter(services: Pick<Services, 'signals' | 'signalPoll' | 'credentials'>, store: Store, guards: AdminAuthGuards, rateLimit?: RequestHandler): Router {
  const r = Router();
  const { signals } = services;
  r.get('/.well-known/ssf-configuration', (_req, res) => {
    res.json(signals.metadata());
  });
  r.get('/ssf/jwks.json', async (_req, res) => {
    // Short caching: a receiver that meets an unknown kid refetches, and rotation keeps the old key live.
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(await signals.keys.jwks());
  });

  const authed = Router();
  const owner = (_req: Request, res: Response, next: NextFunction) => {
    const p = res.locals.principal;
    if (p.kind === 'org') assertCanAdminister(p, p.orgId);
    next();
  };
  const streamId = (req: Request) => {
    const id = req.query.stream_id;
    if (typeof id !== 'string' || id === '') throw new IdsyncError('request.invalid', 'stream_id: required', { problems: [{ field: 'stream_id', message: 'required' }] });
    return id;
  };
  authed.post('/ssf/stream', async (req, res) => {
    res.status(201).json(await signals.create(res.locals.principal, req.body));
  });
  authed.get('/ssf/stream', async (req, res) => {
    res.json(req.query.stream_id === undefined ? await signals.list(res.locals.principal) : await signals.get(res.locals.principal, streamId(req)));
  });
  authed.patch('/ssf/stream', async (req, res) => {
    res.json(await signals.update(res.locals.principal, req.body, false));
  });
  authed.put('/ssf/stream', async (req, res) => {
    res.json(await signals.update(res.locals.principal, req.body, true));
  });
  authed.delete('/ssf/stream', async (req, res) => {
    await signals.delete(res.locals.principal, streamId(req));
    res.status(204).end();
  });
  authed.get('/ssf/status', async (req, res) => {
    res.json(await signals.status(res.locals.principal, streamId(req)));
  });
  authed.post('/ssf/status', async (req, res) => {
    res.json(await signals.setStatus(res.locals.principal, req.body));
  });
  authed.post('/ssf/subjects/add', async (req, res) => {
    await signals.subject(res.locals.principal, req.body, true);
    res.status(200).json({});
  });
  authed.post('/ssf/subjects/remove', async (req, res) => {
    await signals.subject(res.locals.principal, req.body, false);
    res.status(204).end();
  });
  authed.post('/ssf/verify', async (req, res) => {
    await signals.verify(res.locals.principal, req.body);
    res.status(204).end();
  });
  // Not in SSF: rotation of the signing key by a provider-wide key (the previous key stays published).
  authed.post('/ssf/keys/rotate', async (_req, res) => {
    if (res.locals.principal.kind !== 'provider') throw new IdsyncError('auth.forbidden', 'rotating the signing key needs a provider-wide admin key');
    res.json({ kid: (await signals.keys.rotate()).kid });
  });
  authed.post('/ssf/poll/:streamId', async (req, res) => {
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    res.json(await services.signalPoll.poll(res.locals.principal, String(req.params.streamId), req.body, closed.signal));
  });
  r.use('/ssf', adminAuth(services.credentials, store, guards), ...(rateLimit ? [rateLimit] : []), owner);
  r.use(authed);
  return r;
}
