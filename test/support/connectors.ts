/** Shared arrangements for connector tests: time that advances when the client sleeps, a log sink, keys. */
import { generateKeyPairSync } from 'node:crypto';
import type { Clock } from '../../src/ports/clock.js';
import type { ConnectorDeps, ConnectorLimits } from '../../src/ports/directory.js';
import type { LogFields, Logger } from '../../src/ports/logger.js';

export interface FakeTime {
  readonly clock: Clock;
  /** Every wait the client asked for, in ms. */
  readonly sleeps: number[];
  sleep(ms: number): Promise<void>;
  advance(ms: number): void;
  nowMs(): number;
}

/** Sleeping advances the clock instantly, so backoff and Retry-After are asserted, not waited for. */
export function fakeTime(startMs = Date.now()): FakeTime {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
    nowMs: () => now,
  };
}

export interface LogLine extends LogFields {
  level: string;
  message: string;
}

export function captureLogger(lines: LogLine[] = [], base: LogFields = {}): Logger & { lines: LogLine[] } {
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push({ ...base, ...fields, level, message });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (f) => captureLogger(lines, { ...base, ...f }) };
}

export function testDeps(time: FakeTime, limits: ConnectorLimits = {}): ConnectorDeps & { logger: ReturnType<typeof captureLogger> } {
  return { logger: captureLogger(), clock: time.clock, sleep: (ms) => time.sleep(ms), random: () => 0.5, limits: { requestTimeoutMs: 5000, ...limits } };
}

export interface RsaKeys {
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"): Google and Entra certificates. */
  readonly pkcs8: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"): what GitHub hands out. */
  readonly pkcs1: string;
  readonly publicPem: string;
}

export function rsaKeys(): RsaKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pkcs8: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    pkcs1: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** Drains a listing; returns the users and the result. */
export async function drain<U, R>(listing: AsyncIterable<U> & { done: Promise<R> }): Promise<{ users: U[]; result: R }> {
  const users: U[] = [];
  for await (const u of listing) users.push(u);
  return { users, result: await listing.done };
}

/** A loopback URL nothing listens on (a port that was just free). */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
