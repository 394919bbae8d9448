import { resolveLocal } from './date-patterns';
import { INVALID } from './values';

/** Civil dates and fixed offsets, as the parsers and expression functions use them. */

/** A fixed UTC offset: ±HH:MM (or ±HHMM) up to ±18:00, as java.time allows. */
export const OFFSET_RE = /^([+-])(\d{2}):?(\d{2})$/;
export function validOffset(s: string): boolean {
  const m = OFFSET_RE.exec(s);
  if (!m) return false;
  const h = Number(m[2]);
  const min = Number(m[3]);
  return min < 60 && h * 60 + min <= 18 * 60;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 for a civil date, or INVALID when the date does not exist. */
export function civilDays(y: number, m: number, d: number): number | typeof INVALID {
  if (m < 1 || m > 12 || d < 1) return INVALID;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (m === 2 && leap ? 29 : MONTH_DAYS[m - 1])) return INVALID;
  // Hinnant's days_from_civil: arithmetic only, so the hot path allocates nothing.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const JAVA_DST = { gap: 'shift_forward', overlap: 'earlier' } as const;

/**
 * Resolve a wall-clock time in `timezone` to epoch ms, as java.time does: a
 * time in a DST gap (02:30 on the spring-forward night) moves forward by the
 * gap (03:30, summer offset); a time that occurs twice (the fall-back hour)
 * takes the earlier offset, i.e. the first of the two instants. A column's
 * `dst` policy changes that (date-patterns.ts resolveLocal).
 */
export function wallClockToUtc(wallMs: number, timezone: string): number {
  if (timezone === 'UTC' || timezone === 'Z') return wallMs;
  const off = OFFSET_RE.exec(timezone);
  if (off) return wallMs - (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) * 60000;
  const t = resolveLocal(wallMs, timezone, JAVA_DST);
  if (typeof t !== 'number') throw new RangeError(`unknown time zone ${timezone}`);
  return t;
}
