/**
 * Error taxonomy shared by every stage. Step Functions matches on `name`, so the
 * names are part of the state machine contract: `TransientError` is retried,
 * `DataError` is never retried and goes straight to quarantine.
 */

/** Machine-readable quarantine reasons. Stable strings: dashboards and alarms key on them. */
export const REASON_CODES = [
  'parse.error',
  'parse.encoding',
  'parse.limit',
  'parse.framing',
  'schema.incompatible',
  'schema.missing_columns',
  'quality.reject_ratio',
  'quality.reject_volume',
  'quality.row_count',
  'gold.overflow',
  'file.empty',
  'file.unsupported',
  'file.too_large',
  'contract.unknown_dataset',
  'pipeline.error',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * Whether a reason is about the file's data (quarantined: fix the file) rather
 * than a fault of the pipeline (failed: redrive). Every code but
 * `pipeline.error` is data; so is any other code of a data family.
 */
export function isDataReason(reason: string): boolean {
  return /^(parse|schema|quality|gold|file|contract)\./.test(reason);
}

/** The n most frequent reasons as `rule=count, ...`, for a message naming what failed most. */
export function topReasons(reasons: Record<string, number>, n: number): string {
  return Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([r, k]) => `${r}=${k}`)
    .join(', ');
}

export interface ErrorContext {
  dataset?: string;
  key?: string;
  line?: number;
  column?: string;
  rule?: string;
}

/** Longest message text a DataError carries (the whole message stays far below Step Functions' 32,768-character Cause). */
export const MAX_MESSAGE = 4000;

/**
 * `s` cut to at most `max` characters plus a marker saying how much was cut;
 * never splits a surrogate pair. Every message that quotes input goes through
 * this, so a 50 MB header cannot become a 50 MB error.
 */
export function bounded(s: string, max = MAX_MESSAGE): string {
  if (s.length <= max) return s;
  let cut = max;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}… [${s.length - cut} more characters cut]`;
}

function describe(message: string, ctx: ErrorContext, hint?: string): string {
  const where = [
    ctx.dataset && `dataset=${ctx.dataset}`,
    ctx.key && `key=${bounded(ctx.key, 1100)}`,
    ctx.line !== undefined && `line=${ctx.line}`,
    ctx.column && `column=${bounded(ctx.column, 200)}`,
    ctx.rule && `rule=${ctx.rule}`,
  ].filter(Boolean);
  return `${bounded(message)}${where.length ? ` [${where.join(' ')}]` : ''}${hint ? `. ${bounded(hint, 1000)}` : ''}`;
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

/**
 * Facts about a failed file that must reach the Quarantine state (counts, the
 * row file): Lambda passes only the message on, so they ride at its end as
 * `[details={...}]`, which reasonFromCause takes off again.
 */
export function withDetails(e: DataError, details: Record<string, unknown>): DataError {
  const text = JSON.stringify(details);
  if (text.length <= 4000) e.message += ` [details=${text}]`;
  return e;
}

/** Parse the `Cause` string Step Functions hands to a Catch handler back into a reason. */
export function reasonFromCause(error: string | undefined, cause: string | undefined): { reason: ReasonCode; message: string; details?: unknown } {
  let parsed: { errorType?: string; errorMessage?: string; reason?: ReasonCode; details?: unknown } | undefined;
  try {
    parsed = cause ? JSON.parse(cause) : undefined;
  } catch {
    parsed = undefined;
  }
  let message = parsed?.errorMessage ?? cause ?? error ?? 'unknown error';
  let carried: unknown;
  const tail = / \[details=(\{.*\})\]$/s.exec(message);
  if (tail) {
    try {
      carried = JSON.parse(tail[1]);
      message = message.slice(0, tail.index);
    } catch {
      carried = undefined;
    }
  }
  const fromMessage = /^\[reason=([a-z_.]+)\]/.exec(message)?.[1] as ReasonCode | undefined;
  const reason = parsed?.reason ?? fromMessage ?? (error === 'DataError' ? 'parse.error' : 'pipeline.error');
  return { reason, message: bounded(message.replace(/^\[reason=[a-z_.]+\]\s*/, ''), 2 * MAX_MESSAGE), details: parsed?.details ?? carried };
}
