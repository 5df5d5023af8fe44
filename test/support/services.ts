import { isIdsyncError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/ports/clock.js';
import type { MailMessage, Mailer } from '../../src/ports/mailer.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { createServices } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

/** A stepping clock: each call is one second after the previous. */
export function steppingClock(start = '2026-03-01T00:00:00.000Z'): Clock {
  let t = Date.parse(start);
  return { now: () => new Date((t += 1000)) };
}

/** A stepping clock that tests can also move forward by hours (invitation and link expiry). */
export function adjustableClock(start = '2026-03-01T00:00:00.000Z'): Clock & { advanceHours(h: number): void } {
  let t = Date.parse(start);
  return { now: () => new Date((t += 1000)), advanceHours: (h: number) => void (t += h * 3_600_000) };
}

/** Captures what the services send (invitation emails). */
export function memoryMailer(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { sent, send: async (m) => (sent.push(m), { id: String(sent.length) }) };
}

/** Real services on a real in-memory SQLite store. */
export function memoryServices(opts: { clock?: Clock; mailer?: Mailer } = {}) {
  const store = openSqliteStore({ path: ':memory:' });
  const mailer = opts.mailer ?? memoryMailer();
  const services = createServices(
    { store, clock: opts.clock ?? steppingClock(), logger: silentLogger },
    { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), mailer, publicUrl: 'https://idsync.test' },
  );
  return { store, services, mailer, close: () => store.close() };
}

/** What a service call ended in: 'ok' or its error code (anything uncoded is rethrown). */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isIdsyncError(err)) return err.code;
    throw err;
  }
}

/** What a synchronous rule ended in: 'ok' or its error code (anything uncoded is rethrown). */
export function codeOfSync(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (isIdsyncError(err)) return err.code;
    throw err;
  }
}
