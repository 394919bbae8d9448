import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVERY_TYPE } from '../parquet-columns';
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import type { OutColumn } from '../../lambdas/core/parquet/writer';
import type { Value } from '../../lambdas/core/parquet/values';

/**
 * Every Thrift field of a file's footer and page headers has the wire type
 * parquet.thrift gives it. Readers built on generated Thrift code skip a field
 * whose type differs (RowGroup.ordinal was written as i32, the spec's is i16),
 * so the value is silently lost for them. An independent compact-protocol walk
 * (not the writer's code) against the spec's table, failing on any field the
 * table does not list.
 */

// Compact protocol wire types.
const BOOL = -1; // TRUE (1) or FALSE (2)
const [I8, I16, I32, I64, BIN, LIST, STRUCT] = [3, 4, 5, 6, 8, 9, 12];
type Field = number | [typeof LIST, number, string?] | [typeof STRUCT, string];

/** parquet.thrift, the structs and fields a writer may emit. */
const SPEC: Record<string, Record<number, Field>> = {
  FileMetaData: {
    1: I32,
    2: [LIST, STRUCT, 'SchemaElement'],
    3: I64,
    4: [LIST, STRUCT, 'RowGroup'],
    5: [LIST, STRUCT, 'KeyValue'],
    6: BIN,
    7: [LIST, STRUCT, 'ColumnOrder'],
  },
  SchemaElement: { 1: I32, 2: I32, 3: I32, 4: BIN, 5: I32, 6: I32, 7: I32, 8: I32, 9: I32, 10: [STRUCT, 'LogicalType'] },
  LogicalType: {
    1: [STRUCT, 'Empty'], // STRING
    5: [STRUCT, 'DecimalType'],
    6: [STRUCT, 'Empty'], // DATE
    8: [STRUCT, 'TimestampType'],
    10: [STRUCT, 'IntType'],
  },
  Empty: {},
  DecimalType: { 1: I32, 2: I32 },
  TimestampType: { 1: BOOL, 2: [STRUCT, 'TimeUnit'] },
  TimeUnit: { 1: [STRUCT, 'Empty'], 2: [STRUCT, 'Empty'], 3: [STRUCT, 'Empty'] },
  IntType: { 1: I8, 2: BOOL },
  RowGroup: { 1: [LIST, STRUCT, 'ColumnChunk'], 2: I64, 3: I64, 4: [LIST, STRUCT, 'SortingColumn'], 5: I64, 6: I64, 7: I16 },
  ColumnChunk: { 1: BIN, 2: I64, 3: [STRUCT, 'ColumnMetaData'] },
  ColumnMetaData: {
    1: I32,
    2: [LIST, I32],
    3: [LIST, BIN],
    4: I32,
    5: I64,
    6: I64,
    7: I64,
    8: [LIST, STRUCT, 'KeyValue'],
    9: I64,
    10: I64,
    11: I64,
    12: [STRUCT, 'Statistics'],
  },
  Statistics: { 1: BIN, 2: BIN, 3: I64, 4: I64, 5: BIN, 6: BIN, 7: BOOL, 8: BOOL },
  KeyValue: { 1: BIN, 2: BIN },
  ColumnOrder: { 1: [STRUCT, 'Empty'] },
  SortingColumn: { 1: I32, 2: BOOL, 3: BOOL },
  PageHeader: { 1: I32, 2: I32, 3: I32, 4: I32, 5: [STRUCT, 'DataPageHeader'], 7: [STRUCT, 'DictionaryPageHeader'] },
  DataPageHeader: { 1: I32, 2: I32, 3: I32, 4: I32, 5: [STRUCT, 'Statistics'] },
  DictionaryPageHeader: { 1: I32, 2: I32, 3: BOOL },
};

type Decoded = { [id: number]: unknown };

class Walker {
  constructor(
    readonly b: Uint8Array,
    public at: number,
  ) {}
  private varint(): bigint {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.b[this.at++];
      r |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return r;
      shift += 7n;
    }
  }
  private zigzag(): bigint {
    const z = this.varint();
    return z & 1n ? -(z >> 1n) - 1n : z >> 1n;
  }
  private value(type: number, want: Field, where: string): unknown {
    if (type === I8) return this.b[this.at++];
    if (type === I16 || type === I32 || type === I64) return this.zigzag();
    if (type === BIN) {
      const n = Number(this.varint());
      this.at += n;
      return this.b.subarray(this.at - n, this.at);
    }
    if (type === LIST) {
      const h = this.b[this.at++];
      const et = h & 15;
      const n = h >> 4 === 15 ? Number(this.varint()) : h >> 4;
      const [, elem, name] = want as [number, number, string?];
      expect(et, `${where}: list element type`).toBe(elem);
      return Array.from({ length: n }, (_, i) => this.value(et, name ? [STRUCT, name] : et, `${where}[${i}]`));
    }
    return this.struct((want as [number, string])[1], where);
  }
  struct(name: string, where = name): Decoded {
    const spec = SPEC[name];
    const out: Decoded = {};
    let last = 0;
    for (;;) {
      const h = this.b[this.at++];
      if (h === 0) return out;
      const type = h & 15;
      const id = h >> 4 ? last + (h >> 4) : Number(this.zigzag());
      last = id;
      const want = spec[id];
      expect(want, `${where}.${id}: a field parquet.thrift does not define`).toBeDefined();
      const wire = Array.isArray(want) ? want[0] : want;
      if (wire === BOOL) {
        expect([1, 2], `${where}.${id}: wire type`).toContain(type);
        out[id] = type === 1;
      } else {
        expect(type, `${where}.${id}: wire type`).toBe(wire);
        out[id] = this.value(type, want, `${where}.${id}`);
      }
    }
  }
}

const COLUMNS: OutColumn[] = EVERY_TYPE;

describe('Parquet Thrift wire types', () => {
  it('footer and page headers: every field has its parquet.thrift type (many row groups, dictionary and PLAIN chunks, nulls)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pq-thrift-')), 't.parquet');
    const w = new ParquetFileWriter(path, COLUMNS, { rowGroupRows: 700, kv: { dataset: 't' } });
    for (let r = 0; r < 5000; r++) {
      const row: Value[] = [
        r % 11 === 0 ? null : r < 2500 ? `v${r % 7}` : `distinct-${r}`,
        r * 1_000_003 - 2 ** 40,
        r % 5 === 0 ? null : r / 7,
        r % 3 === 0 ? null : r % 2 === 0,
        r % 4 === 0 ? null : 19000 + (r % 40),
        r % 6 === 0 ? null : 1.7e12 + r * 1000,
        r % 9 === 0 ? null : r * 101,
        r % 8 === 0 ? null : BigInt(r) * 10n ** 30n,
      ];
      w.appendRow(row);
    }
    w.finish();
    const file = new Uint8Array(readFileSync(path));
    const footerLen = new DataView(file.buffer).getUint32(file.length - 8, true);
    const meta = new Walker(file, file.length - 8 - footerLen).struct('FileMetaData');
    const groups = meta[4] as Decoded[];
    expect(groups.length).toBe(Math.ceil(5000 / 700));
    groups.forEach((g, i) => expect(g[7], 'RowGroup.ordinal').toBe(BigInt(i)));
    let pages = 0;
    for (const g of groups) {
      for (const chunk of g[1] as Decoded[]) {
        const md = chunk[3] as Decoded;
        const start = Number((md[11] as bigint | undefined) ?? (md[9] as bigint));
        const end = start + Number(md[7] as bigint);
        const walk = new Walker(file, start);
        while (walk.at < end) {
          const header = walk.struct('PageHeader');
          walk.at += Number(header[3] as bigint);
          pages++;
        }
        expect(walk.at).toBe(end);
      }
    }
    expect(pages).toBeGreaterThan(groups.length * COLUMNS.length);
  });
});
