import type { DstPolicy } from '../contract/input';

/**
 * Date/time patterns as real files write them ('Jun 12 1998', '3/7/98 2:05 PM',
 * 'dd.MM.yyyy HH:mm:ss.SSS'), compiled once per column into one regular
 * expression and a field table. Letters follow java.time's DateTimeFormatter:
 *
 *   yyyy year · yy 2-digit year (in the window [pivotYear, pivotYear + 99])
 *   MMMM month name · MMM month abbreviation (English, any case) · MM / M month number
 *   dd / d day · EEEE / EEE day name (read, not checked)
 *   HH / H hour 0-23 · hh / h hour 1-12 with `a` (AM/PM, any case)
 *   mm minute · ss second · S..S fraction of a second (1 to 9 digits, kept to the millisecond)
 *   'text' literal text · any other non-letter is literal
 *
 * Number fields take one or two digits (or four for yyyy) so '3/7/1998' reads
 * with 'MM/dd/yyyy' as well as '03/07/1998'.
 */

export const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** [year, month, day, hour, minute, second, millisecond] */
export type Fields = [number, number, number, number, number, number, number];
export type FieldReader = (raw: string) => Fields | undefined;

type Slot = 'y4' | 'y2' | 'Mname' | 'M' | 'd' | 'H' | 'h' | 'm' | 's' | 'S' | 'a' | 'E';

const TOKEN = /'([^']*)'|y{4}|yy|M{3,4}|MM?|dd?|E{3,4}|HH?|hh?|mm|ss|S{1,9}|a|[A-Za-z]|[^A-Za-z']+/g;

export class PatternError extends Error {}

/** Compiles a pattern; throws PatternError naming the unknown letter. */
export function compileDatePattern(pattern: string, pivotYear = 1970): FieldReader {
  const slots: Slot[] = [];
  let source = '';
  for (const m of pattern.matchAll(TOKEN)) {
    const tok = m[0];
    if (m[1] !== undefined) {
      source += escapeRegex(m[1]);
      continue;
    }
    const slot = slotOf(tok);
    if (slot === undefined) {
      if (/^[A-Za-z]$/.test(tok))
        throw new PatternError(
          `unknown pattern letter '${tok}' in '${pattern}' (letters: yyyy yy MMMM MMM MM M dd d EEE HH H hh h mm ss S..S a; quote literal text as 'T')`,
        );
      source += escapeRegex(tok);
      continue;
    }
    slots.push(slot);
    source += groupOf(slot, tok.length);
  }
  if (slots.includes('h') !== slots.includes('a')) throw new PatternError(`'${pattern}': hh (1-12) and a (AM/PM) go together; use HH for a 24-hour clock`);
  const re = new RegExp(`^${source}$`, 'i');
  return (raw) => {
    const m = re.exec(raw);
    if (!m) return undefined;
    const f: Fields = [1970, 1, 1, 0, 0, 0, 0];
    let pm = -1;
    for (let i = 0; i < slots.length; i++) {
      const v = m[i + 1];
      switch (slots[i]) {
        case 'y4':
          f[0] = +v;
          break;
        case 'y2':
          f[0] = pivotYear + ((+v - (pivotYear % 100) + 100) % 100);
          break;
        case 'Mname': {
          const lower = v.toLowerCase();
          const k = MONTHS.findIndex((name) => name === lower || (lower.length === 3 && name.startsWith(lower)) || (lower === 'sept' && name === 'september'));
          if (k < 0) return undefined;
          f[1] = k + 1;
          break;
        }
        case 'M':
          f[1] = +v;
          break;
        case 'd':
          f[2] = +v;
          break;
        case 'H':
          f[3] = +v;
          break;
        case 'h':
          if (+v < 1 || +v > 12) return undefined;
          f[3] = +v % 12;
          break;
        case 'a':
          pm = v.toLowerCase() === 'pm' ? 12 : 0;
          break;
        case 'm':
          f[4] = +v;
          break;
        case 's':
          f[5] = +v;
          break;
        case 'S':
          f[6] = Number(v.slice(0, 3).padEnd(3, '0'));
          break;
        case 'E':
          break;
      }
    }
    if (pm >= 0) f[3] += pm;
    return f;
  };
}

function slotOf(tok: string): Slot | undefined {
  if (tok === 'yyyy') return 'y4';
  if (tok === 'yy') return 'y2';
  if (tok === 'MMM' || tok === 'MMMM') return 'Mname';
  if (tok === 'M' || tok === 'MM') return 'M';
  if (tok === 'd' || tok === 'dd') return 'd';
  if (tok === 'EEE' || tok === 'EEEE') return 'E';
  if (tok === 'H' || tok === 'HH') return 'H';
  if (tok === 'h' || tok === 'hh') return 'h';
  if (tok === 'mm') return 'm';
  if (tok === 'ss') return 's';
  if (tok[0] === 'S') return 'S';
  if (tok === 'a') return 'a';
  return undefined;
}

function groupOf(slot: Slot, len: number): string {
  switch (slot) {
    case 'y4':
      return '(\\d{4})';
    case 'y2':
      return '(\\d{2})';
    // Full names, 3-letter abbreviations and 'Sept'; the reader maps them back.
    case 'Mname':
      return `(${MONTHS.join('|')}|sept|${MONTHS.map((n) => n.slice(0, 3)).join('|')})`;
    case 'E':
      return `(${DAYS.join('|')}|${DAYS.map((n) => n.slice(0, 3)).join('|')})`;
    case 'a':
      return '(am|pm)';
    case 'S':
      return `(\\d{${len === 1 ? '1,9' : len}})`;
    default:
      return '(\\d{1,2})';
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Offset in ms of an IANA zone at a UTC instant. setUTCFullYear, not
 * Date.UTC, which reads years 0-99 as 1900-1999; the era turns "1 BC" into
 * year 0.
 */
function offsetAt(zone: Intl.DateTimeFormat, utcMs: number): number {
  const p: Record<string, string> = {};
  for (const part of zone.formatToParts(new Date(utcMs))) p[part.type] = part.value;
  const wall = new Date(0);
  wall.setUTCFullYear(p.era === 'BC' ? 1 - +p.year : +p.year, +p.month - 1, +p.day);
  wall.setUTCHours(+p.hour % 24, +p.minute, +p.second);
  return wall.getTime() - Math.floor(utcMs / 1000) * 1000;
}

const zones = new Map<string, Intl.DateTimeFormat>();
/** The zone's formatter, or undefined when the zone does not exist. */
export function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  let f = zones.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    zones.set(zone, f);
  }
  return f;
}

export type LocalResolution = number | 'gap' | 'overlap';

/**
 * Epoch ms of a wall-clock time (as ms since 1970 on the wall) in an IANA
 * zone, under a DST policy. The offsets a day either side bracket the
 * transition; a wall time valid under both is ambiguous (overlap), under
 * neither does not exist (gap). With `shift_forward` a gap time is read with
 * the offset before the gap, which lands it the gap's length later, as
 * java.time's ZonedDateTime.of does.
 */
export function resolveLocal(wallMs: number, zone: string, policy: DstPolicy): LocalResolution {
  const f = zoneFormatter(zone);
  if (!f) return 'gap';
  const before = offsetAt(f, wallMs - 86400000);
  const after = offsetAt(f, wallMs + 86400000);
  const t1 = wallMs - before;
  if (before === after) return t1;
  const t2 = wallMs - after;
  const ok1 = offsetAt(f, t1) === before;
  const ok2 = offsetAt(f, t2) === after;
  if (ok1 && ok2) {
    if (policy.overlap === 'reject') return 'overlap';
    // The earlier offset is the one in force before the transition: the earlier instant.
    return policy.overlap === 'earlier' ? Math.min(t1, t2) : Math.max(t1, t2);
  }
  if (ok1) return t1;
  if (ok2) return t2;
  return policy.gap === 'reject' ? 'gap' : t1;
}

const SAMPLE: Fields = [2026, 3, 28, 14, 5, 9, 123];

/** The sample instant written with a pattern: what check-config reads back to prove the pattern works. */
export function formatSample(pattern: string): { text: string; has: Set<number> } {
  const has = new Set<number>();
  const [y, mo, d, h, mi, s, ms] = SAMPLE;
  const two = (n: number) => String(n).padStart(2, '0');
  let text = '';
  for (const m of pattern.matchAll(TOKEN)) {
    const tok = m[0];
    if (m[1] !== undefined) {
      text += m[1];
      continue;
    }
    const slot = slotOf(tok);
    const field = ({ y4: 0, y2: 0, Mname: 1, M: 1, d: 2, H: 3, h: 3, m: 4, s: 5, S: 6 } as Record<string, number>)[slot ?? ''];
    if (field !== undefined) has.add(field);
    switch (slot) {
      case 'y4':
        text += y;
        break;
      case 'y2':
        text += two(y % 100);
        break;
      case 'Mname':
        text += tok.length === 4 ? 'March' : 'Mar';
        break;
      case 'M':
        text += tok.length === 2 ? two(mo) : mo;
        break;
      case 'd':
        text += two(d);
        break;
      case 'E':
        text += tok.length === 4 ? 'Saturday' : 'Sat';
        break;
      case 'H':
        text += two(h);
        break;
      case 'h':
        text += two(h % 12 || 12);
        break;
      case 'a':
        text += h >= 12 ? 'PM' : 'AM';
        break;
      case 'm':
        text += two(mi);
        break;
      case 's':
        text += two(s);
        break;
      case 'S':
        text += String(ms).padStart(3, '0').padEnd(tok.length, '0').slice(0, tok.length);
        break;
      default:
        text += tok;
    }
  }
  return { text, has };
}

/** Why a pattern cannot work for a column type, or undefined when it reads its own sample back. */
export function checkPattern(pattern: string, type: 'date' | 'timestamp', pivotYear?: number): string | undefined {
  let read: FieldReader;
  try {
    read = compileDatePattern(pattern, pivotYear);
  } catch (e) {
    const hint = /'Y'/.test((e as Error).message) ? ' (year is yyyy)' : /'D'/.test((e as Error).message) ? ' (day of month is dd)' : '';
    return `${(e as Error).message}${hint}`;
  }
  const { text, has } = formatSample(pattern);
  if (has.has(4) && !has.has(3)) return `format '${pattern}' has minutes (mm) but no hour: the month is MM`;
  if (!has.has(0) || !has.has(1)) return `format '${pattern}' has no year or no month: use yyyy (or yy) and MM (or MMM)`;
  const got = read(text);
  const want = SAMPLE.map((v, i) => (has.has(i) ? v : [1970, 1, 1, 0, 0, 0, 0][i]));
  // The fraction is not compared: 'S' keeps one digit of the sample's 123 ms.
  if (!got || got.some((v, i) => i < 6 && v !== want[i])) {
    return `format '${pattern}' cannot read back its own sample '${text}'; put separators between number fields`;
  }
  if (type === 'date' && has.has(6)) return `format '${pattern}' reads fractions of a second, but the column is a date: use a timestamp column`;
  return undefined;
}
