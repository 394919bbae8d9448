/**
 * Error taxonomy shared by every stage. Step Functions matches on `name`, so the
 * names are part of the state machine contract: `TransientError` is retried,
 * `DataError` is never retried and goes straight to quarantine.
 */

/** Machine-readable quarantine reasons. Stable strings: dashboards and alarms key on them. */
export type ReasonCode =
  | 'parse.error'
  | 'parse.encoding'
  | 'schema.incompatible'
  | 'schema.missing_columns'
  | 'quality.reject_ratio'
  | 'quality.row_count'
  | 'gold.overflow'
  | 'file.empty'
  | 'file.unsupported'
  | 'contract.unknown_dataset'
  | 'pipeline.error';

export interface ErrorContext {
  dataset?: string;
  key?: string;
  line?: number;
  column?: string;
  rule?: string;
}

function describe(message: string, ctx: ErrorContext, hint?: string): string {
  const where = [
    ctx.dataset && `dataset=${ctx.dataset}`,
    ctx.key && `key=${ctx.key}`,
    ctx.line !== undefined && `line=${ctx.line}`,
    ctx.column && `column=${ctx.column}`,
    ctx.rule && `rule=${ctx.rule}`,
  ].filter(Boolean);
  return `${message}${where.length ? ` [${where.join(' ')}]` : ''}${hint ? `. ${hint}` : ''}`;
}

/** Bad input: never retried. The file is quarantined with `reason`. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly context: ErrorContext = {},
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    // Lambda serialises only errorType/errorMessage into Step Functions' Cause, so the
    // reason travels as a parseable prefix of the message.
    super(`[reason=${reason}] ${describe(message, context, hint)}`);
  }

  /** Serialisable form carried through Step Functions' `Cause`. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, reason: this.reason, message: this.message, context: this.context, details: this.details };
  }
}

/** A failure that is expected to go away on retry (throttling, timeouts, 5xx). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Parse the `Cause` string Step Functions hands to a Catch handler back into a reason. */
export function reasonFromCause(error: string | undefined, cause: string | undefined): { reason: ReasonCode; message: string; details?: unknown } {
  let parsed: { errorType?: string; errorMessage?: string; reason?: ReasonCode; details?: unknown } | undefined;
  try {
    parsed = cause ? JSON.parse(cause) : undefined;
  } catch {
    parsed = undefined;
  }
  const message = parsed?.errorMessage ?? cause ?? error ?? 'unknown error';
  const fromMessage = /^\[reason=([a-z_.]+)\]/.exec(message)?.[1] as ReasonCode | undefined;
  const reason = parsed?.reason ?? fromMessage ?? (error === 'DataError' ? 'parse.error' : 'pipeline.error');
  return { reason, message: message.replace(/^\[reason=[a-z_.]+\]\s*/, ''), details: parsed?.details };
}
