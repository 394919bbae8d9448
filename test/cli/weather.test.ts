import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';

/**
 * The weather sample through `pipeline run`: spaced headers by source name,
 * null markers, month-name dates, AM/PM local times across both DST changes,
 * cross-column expression rules, not_in, and onDuplicate: quarantine.
 */
describe('pipeline run samples/weather (real-world contract language)', () => {
  it('types, checks and writes every row as the contract says', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipeline-weather-'));
    const lines: string[] = [];
    const code = await main(['run', 'samples/weather/weather_1998.csv', '--store', root, '--json'], { log: (s) => lines.push(s), err: (s) => lines.push(s) });
    expect(code).toBe(0);
    const m = JSON.parse(lines.join('\n'));
    expect(m).toMatchObject({
      status: 'succeeded',
      contractVersion: 1,
      matchedVersion: 1,
      counts: { rowsIn: 12, rowsOut: 7, rowsQuarantined: 4, rowsDeduplicated: 1 },
    });
    expect(m.schemaChanges.warnings).toEqual([]);
    expect(m.reasons).toEqual({ 'duplicate_key(station_id,obs_date)': 2, low_le_high: 1, 'not_in(station_id)': 1 });

    const silver: Record<string, unknown>[] = [];
    for (const k of m.outputs.silver as string[]) silver.push(...(await readParquetObjects(join(root, 'lake-bucket', k))));
    const byKey = new Map(silver.map((r) => [`${r.station_id} ${new Date(r.obs_date as string | number | Date).toISOString().slice(0, 10)}`, r]));
    const at = (k: string) => new Date(byKey.get(k)!.observed_at as Date).toISOString();
    // 2:05 PM CDT; a 2:30 AM that does not exist (spring gap) moves to 3:30 CDT; 1:30 AM twice in autumn takes CDT.
    expect(at('KORD 1998-06-12')).toBe('1998-06-12T19:05:00.000Z');
    expect(at('KORD 1998-04-05')).toBe('1998-04-05T08:30:00.000Z');
    expect(at('KORD 1998-10-25')).toBe('1998-10-25T06:30:00.000Z');
    expect(at('KORD 2000-01-01')).toBe('2000-01-01T06:01:00.000Z');
    // NA, - and M are null; padding trimmed; empty and quoted-empty fields are null.
    expect(byKey.get('KORD 1998-06-13')).toMatchObject({ high_f: null, conditions: 'Rain' });
    expect(byKey.get('KMDW 1998-06-12')).toMatchObject({ precip_in: null, conditions: 'Partly cloudy' });
    expect(byKey.get('KMDW 1998-06-14')).toMatchObject({ low_f: null, high_f: null, precip_in: null, conditions: null });
    expect([...byKey.keys()].sort()).toEqual([
      'KMDW 1998-06-12',
      'KMDW 1998-06-14',
      'KORD 1998-04-05',
      'KORD 1998-06-12',
      'KORD 1998-06-13',
      'KORD 1998-10-25',
      'KORD 2000-01-01',
    ]);

    const q = readFileSync(join(root, 'lake-bucket', m.outputs.quarantineRows), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(q.map((r) => r._reason)).toEqual([
      'low_f <= high_f is false for low_f=88.0, high_f=71.0',
      "station_id='TEST' is one of the forbidden values TEST, XXXX",
      'rows at lines 11 and 12 share the key (KMDW, 1998-06-15) with different values',
      'rows at lines 11 and 12 share the key (KMDW, 1998-06-15) with different values',
    ]);
    expect(q[0].row['Low Temp (F)']).toBe('88.0');
    const dups = readFileSync(join(root, 'lake-bucket', m.outputs.duplicates), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dups).toEqual([
      {
        _line: 10,
        _rule: 'duplicate_key(station_id,obs_date)',
        row: {
          'Station ID': 'KORD',
          'Obs Date': 'Jun 12 1998',
          'Observed At': 'Jun 12 1998 2:05 PM',
          'Low Temp (F)': '61.0',
          'High Temp (F)': '78.5',
          'Precip (in)': '0.00',
          Conditions: 'Sunny',
        },
      },
    ]);
    const wet = await readParquetObjects(join(root, 'lake-bucket/gold/weather/wet_days_by_station/dt=1998-06/part-0.parquet'), {
      columns: ['station_id', 'month_obs_date', 'days', 'wet_days', 'rain_in', 'max_sunny_high_f'],
    });
    expect(wet.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).toEqual([
      { station_id: 'KMDW', month_obs_date: 6, days: 2, wet_days: 0, rain_in: null, max_sunny_high_f: null },
      { station_id: 'KORD', month_obs_date: 6, days: 2, wet_days: 1, rain_in: 0.12, max_sunny_high_f: 78.5 },
    ]);
    // pipeline query reads month partitions (dt is text, '2000-01') within the projection range (from 2000-01-01).
    const query = async (sql: string) => {
      const out: string[] = [];
      expect(await main(['query', sql, '--json', '--store', root], { log: (s) => out.push(s), err: (s) => out.push(s) })).toBe(0);
      return JSON.parse(out.join('\n'));
    };
    expect(await query('select dt, station_id, high_f from weather order by dt')).toEqual([{ dt: '2000-01', station_id: 'KORD', high_f: '31.0' }]);
    expect(await query('select dt, station_id, month_obs_date, days, wet_days from weather_wet_days_by_station')).toEqual([
      { dt: '2000-01', station_id: 'KORD', month_obs_date: 1, days: 1, wet_days: 0 },
    ]);
    expect(readdirSync(join(root, 'lake-bucket/gold/weather/weather_by_station')).sort()).toEqual(['dt=1998-04', 'dt=1998-06', 'dt=1998-10', 'dt=2000-01']);
  });
});
