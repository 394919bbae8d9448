import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { checkPattern, compileDatePattern, formatSample, MONTHS, resolveLocal } from '../../lambdas/core/typing/date-patterns';
import { INVALID } from '../../lambdas/core/typing/values';
import { parserFor } from '../../lambdas/core/typing/parse';

const col = (type: 'date' | 'timestamp', format: string, extra: Record<string, unknown> = {}) =>
  parseContract({ dataset: 'd', version: 1, columns: [{ name: 'c', type, format, ...extra }] }).columns[0];
const iso = (ms: number | symbol | string | boolean | bigint | null) => (typeof ms === 'number' ? new Date(ms).toISOString() : ms);
const day = (d: number | symbol | string | boolean | bigint | null) => (typeof d === 'number' ? new Date(d * 86400000).toISOString().slice(0, 10) : d);

describe('date/time patterns', () => {
  it('reads English month names and abbreviations in any case', () => {
    const p = parserFor(col('date', 'MMM d yyyy'));
    expect(day(p('Jun 12 1998'))).toBe('1998-06-12');
    expect(day(p('jan 1 2000'))).toBe('2000-01-01');
    expect(day(p('SEPT 30 2001'))).toBe('2001-09-30');
    expect(p('Foo 1 2000')).toBe(INVALID);
    expect(p('Feb 30 2000')).toBe(INVALID);
    expect(day(parserFor(col('date', 'EEEE, MMMM dd, yyyy'))('Friday, June 12, 1998'))).toBe('1998-06-12');
  });

  it('2-digit years fall in the 100-year window from pivotYear (1970 by default)', () => {
    expect(day(parserFor(col('date', 'dd/MM/yy'))('01/02/69'))).toBe('2069-02-01');
    expect(day(parserFor(col('date', 'dd/MM/yy'))('01/02/70'))).toBe('1970-02-01');
    expect(day(parserFor(col('date', 'dd/MM/yy', { pivotYear: 1930 }))('01/02/29'))).toBe('2029-02-01');
    expect(day(parserFor(col('date', 'dd/MM/yy', { pivotYear: 1930 }))('01/02/30'))).toBe('1930-02-01');
  });

  it('AM/PM with a 12-hour clock, and fractions of a second', () => {
    const p = parserFor(col('timestamp', 'M/d/yyyy h:mm:ss a'));
    expect(iso(p('3/7/1998 12:05:00 AM'))).toBe('1998-03-07T00:05:00.000Z');
    expect(iso(p('3/7/1998 12:05:00 PM'))).toBe('1998-03-07T12:05:00.000Z');
    expect(iso(p('3/7/1998 2:05:09 pm'))).toBe('1998-03-07T14:05:09.000Z');
    expect(p('3/7/1998 13:05:00 PM')).toBe(INVALID);
    const f = parserFor(col('timestamp', "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"));
    expect(iso(f('2026-01-02T03:04:05.123456'))).toBe('2026-01-02T03:04:05.123Z');
    expect(iso(parserFor(col('timestamp', 'yyyy-MM-dd HH:mm:ss.S'))('2026-01-02 03:04:05.123456789'))).toBe('2026-01-02T03:04:05.123Z');
  });

  it('writing any instant with a pattern and reading it back gives the instant (property)', () => {
    const patterns = ['dd MMM yyyy HH:mm:ss.SSS', 'MMMM d, yyyy h:mm:ss.SSS a', "yyyyMMdd'T'HHmmss.SSS", 'EEE MMM dd HH:mm:ss.SSS yyyy'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }), fc.constantFrom(...patterns), (ms, pattern) => {
        const d = new Date(ms);
        const two = (n: number) => String(n).padStart(2, '0');
        const h = d.getUTCHours();
        const text = pattern.replace(/'T'/, 'T').replace(/yyyy|MMMM|MMM|MM|dd|d|HH|hh|h|mm|ss|SSS|EEE|a/g, (t) => {
          switch (t) {
            case 'yyyy':
              return String(d.getUTCFullYear());
            case 'MMMM':
              return MONTHS[d.getUTCMonth()];
            case 'MMM':
              return MONTHS[d.getUTCMonth()].slice(0, 3).toUpperCase();
            case 'MM':
              return two(d.getUTCMonth() + 1);
            case 'dd':
              return two(d.getUTCDate());
            case 'd':
              return String(d.getUTCDate());
            case 'HH':
              return two(h);
            case 'h':
              return String(h % 12 || 12);
            case 'mm':
              return two(d.getUTCMinutes());
            case 'ss':
              return two(d.getUTCSeconds());
            case 'SSS':
              return String(d.getUTCMilliseconds()).padStart(3, '0');
            case 'EEE':
              return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
            default:
              return h >= 12 ? 'PM' : 'AM';
          }
        });
        expect(parserFor(col('timestamp', pattern))(text)).toBe(ms);
      }),
      { numRuns: 400 },
    );
  });

  it('an unknown letter is an error naming it; check-config reads back a sample', () => {
    expect(() => compileDatePattern('YYYY-MM-DD')).toThrow(/unknown pattern letter 'Y'/);
    expect(() => compileDatePattern('hh:mm')).toThrow(/hh \(1-12\) and a \(AM\/PM\) go together/);
    expect(formatSample('dd MMM yyyy hh:mm a').text).toBe('28 Mar 2026 02:05 PM');
    expect(checkPattern('yyyy-mm-dd', 'date')).toMatch(/minutes \(mm\) but no hour: the month is MM/);
    expect(checkPattern('yyyy-MM-dd', 'date')).toBeUndefined();
    expect(checkPattern('yyyyMMddHHmmss', 'timestamp')).toBeUndefined();
  });
});

/** Every instant within a day of the wall time whose local reading in `zone` is that wall time (minute steps). */
function readingsOf(wallMs: number, zone: string): number[] {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const out: number[] = [];
  for (let off = -15 * 60; off <= 15 * 60; off += 15) {
    const t = wallMs - off * 60000;
    const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    if (Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) === wallMs) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

describe('local times around DST (resolveLocal)', () => {
  const wall = (s: string) => Date.parse(`${s}Z`);
  const paris = 'Europe/Paris';

  it('a time in the spring gap: shifted forward by the gap (java.time), or rejected', () => {
    expect(iso(resolveLocal(wall('2026-03-29T02:30:00'), paris, { gap: 'shift_forward', overlap: 'earlier' }) as number)).toBe('2026-03-29T01:30:00.000Z');
    expect(resolveLocal(wall('2026-03-29T02:30:00'), paris, { gap: 'reject', overlap: 'earlier' })).toBe('gap');
  });

  it('a time in the autumn overlap: the earlier or later offset, or rejected', () => {
    const t = wall('2026-10-25T02:30:00');
    expect(iso(resolveLocal(t, paris, { gap: 'shift_forward', overlap: 'earlier' }) as number)).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(resolveLocal(t, paris, { gap: 'shift_forward', overlap: 'later' }) as number)).toBe('2026-10-25T01:30:00.000Z');
    expect(resolveLocal(t, paris, { gap: 'shift_forward', overlap: 'reject' })).toBe('overlap');
  });

  it('agrees with a brute-force search of the instants that read as the wall time (property)', () => {
    const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 60000, max: Date.UTC(2030, 0, 1) / 60000 }).map((m) => m * 60000),
        fc.constantFrom(...zones),
        fc.constantFrom('earlier' as const, 'later' as const),
        (w, zone, overlap) => {
          const readings = readingsOf(w, zone);
          const got = resolveLocal(w, zone, { gap: 'reject', overlap });
          if (readings.length === 0) expect(got).toBe('gap');
          else expect(got).toBe(overlap === 'earlier' ? readings[0] : readings[readings.length - 1]);
        },
      ),
      { numRuns: 300 },
    );
    // Near transitions, where the random walk above rarely lands.
    for (const [zone, s] of [
      ['America/New_York', '2026-03-08T02:00:00'],
      ['America/New_York', '2026-11-01T01:00:00'],
      ['Australia/Lord_Howe', '2026-04-05T01:30:00'],
    ] as const) {
      for (let m = -90; m <= 90; m += 15) {
        const w = wall(s) + m * 60000;
        const readings = readingsOf(w, zone);
        const got = resolveLocal(w, zone, { gap: 'reject', overlap: 'later' });
        expect(got).toBe(readings.length ? readings[readings.length - 1] : 'gap');
      }
    }
  });

  it('without a dst policy a column follows java.time: gap shifted forward, overlap the earlier offset', () => {
    const p = parserFor(col('timestamp', 'iso', { timezone: paris }));
    expect(iso(p('2026-03-29T02:30:00'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(p('2026-10-25T02:30:00'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(p('2026-10-25T03:30:00'))).toBe('2026-10-25T02:30:00.000Z');
    expect(iso(parserFor(col('timestamp', 'M/d/yyyy h:mm a', { timezone: 'America/New_York' }))('11/1/2026 1:30 AM'))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('a timestamp column with a dst policy applies it; reject makes the row a type reject', () => {
    const shift = parserFor(col('timestamp', 'yyyy-MM-dd HH:mm', { timezone: paris, dst: { gap: 'shift_forward', overlap: 'later' } }));
    expect(iso(shift('2026-03-29 02:30'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(shift('2026-10-25 02:30'))).toBe('2026-10-25T01:30:00.000Z');
    const reject = parserFor(col('timestamp', 'iso', { timezone: paris, dst: { gap: 'reject', overlap: 'reject' } }));
    expect(reject('2026-03-29T02:30:00')).toBe(INVALID);
    expect(reject('2026-10-25T02:30:00')).toBe(INVALID);
    expect(iso(reject('2026-10-25T02:30:00+01:00'))).toBe('2026-10-25T01:30:00.000Z');
    expect(iso(reject('2026-07-01T12:00:00'))).toBe('2026-07-01T10:00:00.000Z');
  });
});

describe('any pattern text', () => {
  it('compiles or fails with a PatternError; checkPattern always answers (fuzz)', async () => {
    const { PatternError } = await import('../../lambdas/core/typing/date-patterns');
    fc.assert(
      fc.property(
        fc
          .array(
            fc.constantFrom(
              'yyyy',
              'yy',
              'MMM',
              'MM',
              'M',
              'dd',
              'd',
              'HH',
              'hh',
              'mm',
              'ss',
              'SSS',
              'a',
              'EEE',
              "'T'",
              "'",
              '-',
              '/',
              ' ',
              ':',
              '.',
              'Y',
              'D',
              'x',
              '(',
              '[',
              '*',
            ),
            { maxLength: 10 },
          )
          .map((t) => t.join('')),
        (pattern) => {
          try {
            const read = compileDatePattern(pattern);
            read('2026-03-28 14:05');
          } catch (e) {
            expect(e).toBeInstanceOf(PatternError);
          }
          const why = checkPattern(pattern, 'timestamp');
          expect(why === undefined || typeof why === 'string').toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
