import express, { Router, type Request, type Response } from 'express';
import type { Logger } from '../../ports/logger.js';
import type { NotificationService } from '../../services/notifications/service.js';

/**
 * `POST /hooks/{provider}/{connectionId}`: the directories' change notifications. The body stays
 * raw bytes (GitHub's HMAC is over them). The service verifies and answers at once (Graph wants an
 * answer within seconds, GitHub within 10 s) and works the hints after; this only relays.
 */
export function hooksRouter(deps: { notifications: NotificationService; logger: Logger; bodyLimit: string }): Router {
  const router = Router();
  router.post('/hooks/:provider/:connectionId', express.raw({ type: () => true, limit: deps.bodyLimit }), async (req: Request, res: Response, next) => {
    try {
      const reply = await deps.notifications.receive({
        provider: String(req.params.provider),
        connectionId: String(req.params.connectionId),
        headers: req.headers,
        query: req.query as Record<string, unknown>,
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      });
      if (reply.contentType) res.type(reply.contentType);
      res.status(reply.status).send(reply.body ?? '');
    } catch (err) {
      next(err);
    }
  });
  return router;
}
