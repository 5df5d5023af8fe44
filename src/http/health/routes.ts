import { Router } from 'express';
import type { Store } from '../../ports/store.js';
import type { HttpMetrics } from '../metrics.js';

const READY_TIMEOUT_MS = 2000;

/** Liveness (process), readiness (the store answers) and Prometheus metrics. */
export function healthRoutes(store: Store, storeLabel: string, metrics: HttpMetrics): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(store.ping(), READY_TIMEOUT_MS);
      res.json({ status: 'ready', store: storeLabel });
    } catch (err) {
      res.status(503).json({ status: 'not_ready', store: storeLabel, error: { code: 'store.unavailable', message: (err as Error).message } });
    }
  });
  r.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return r;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
