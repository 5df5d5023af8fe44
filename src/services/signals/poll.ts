import { z } from 'zod';
import { POLL_METHOD } from '../../domain/signals.js';
import { IdsyncError } from '../../domain/errors.js';
import type { Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import { parseInput } from '../validate.js';
import type { SignalService } from './streams.js';

const pollSchema = z.object({
  ack: z.array(z.string().min(1).max(300)).max(1000).optional(),
  setErrs: z.record(z.string().max(300), z.object({ err: z.string().max(100), description: z.string().max(1000).optional() })).optional(),
  maxEvents: z.number().int().min(0).max(1000).optional(),
  returnImmediately: z.boolean().optional(),
});

export interface PollAnswer {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

/** Default and cap of SETs per poll answer. */
const DEFAULT_MAX_EVENTS = 100;

/**
 * RFC 8936 poll delivery: acknowledged SETs are forgotten, SETs with errors are marked failed with
 * the receiver's `err`, and up to `maxEvents` pending SETs are returned oldest first. Unless
 * `returnImmediately`, an empty answer waits (long poll) up to `longPollMs` for SETs to arrive.
 * A paused or disabled stream answers no SETs (a paused one keeps them for later).
 */
export class SignalPoll {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly streams: SignalService,
    private readonly longPollMs = 10_000,
  ) {}

  async poll(p: Principal, streamId: string, input: unknown, signal?: AbortSignal): Promise<PollAnswer> {
    const data = parseInput(pollSchema, input ?? {});
    const stream = await this.streams.stream(p, streamId);
    if (stream.delivery.method !== POLL_METHOD) throw new IdsyncError('request.invalid', `stream ${streamId} uses push delivery, not poll`);
    const { store, clock } = this.deps;
    if (data.ack?.length) await store.ackSets(streamId, data.ack);
    for (const [jti, e] of Object.entries(data.setErrs ?? {})) {
      const [set] = (await store.listPendingSets(streamId, 1000)).filter((s) => s.jti === jti);
      if (!set) continue;
      this.deps.logger.warn('SET refused by poll receiver', { streamId, jti, err: e.err, description: e.description });
      await store.saveSet({ ...set, status: 'failed', lastError: `${e.err}${e.description ? `: ${e.description}` : ''}`, updatedAt: clock.now().toISOString() });
    }
    const max = data.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (max === 0 || stream.status !== 'enabled') return { sets: {}, moreAvailable: false };
    const deadline = Date.now() + (data.returnImmediately === false ? this.longPollMs : 0);
    for (;;) {
      const pending = await store.listPendingSets(streamId, max + 1);
      if (pending.length > 0 || Date.now() >= deadline || signal?.aborted) {
        return { sets: Object.fromEntries(pending.slice(0, max).map((s) => [s.jti, s.jwt])), moreAvailable: pending.length > max };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
