export type LogFields = Record<string, unknown>;

/** The logging port. Implementations must redact secrets (see src/logging/redact.ts). */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger whose every line carries these fields (request id, run id, org id, …). */
  child(fields: LogFields): Logger;
}
