import winston from 'winston';
import type { Writable } from 'node:stream';
import type { LogFields, Logger } from '../ports/logger.js';
import { redactString, redactValue } from './redact.js';

export interface LoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  format: 'json' | 'pretty';
  /** Where lines go; stdout by default. Tests pass a sink and parse lines back. */
  stream?: Writable;
  base?: LogFields;
}

const redaction = winston.format((info) => {
  const { level, message, ...rest } = info;
  const clean = redactValue(rest) as Record<string, unknown>;
  const out = Object.assign(info, clean);
  out.level = level;
  out.message = typeof message === 'string' ? redactString(message) : message;
  return out;
});

class WinstonLogger implements Logger {
  constructor(
    private readonly w: winston.Logger,
    /** The level is set once at creation: whether debug lines are written is known then (winston's own check walks its transports each call). */
    private readonly debugEnabled: boolean,
  ) {}
  error(message: string, fields?: LogFields): void {
    this.w.error(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.w.warn(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.w.info(message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    // winston builds the whole record before filtering by level; skip that on hot paths.
    if (this.debugEnabled) this.w.debug(message, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.w.child(fields), this.debugEnabled);
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const output =
    opts.format === 'json'
      ? winston.format.json()
      : winston.format.combine(
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level, message, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        );
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: [] });
  const w = winston.createLogger({
    level: opts.level,
    defaultMeta: opts.base,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), redaction(), output),
    transports: [transport],
  });
  return new WinstonLogger(w, w.isDebugEnabled());
}

/** A logger that drops everything (CLI commands that print their own output). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
