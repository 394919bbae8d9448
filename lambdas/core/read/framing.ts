import type { Contract } from '../contract/contract';
import { bounded, DataError } from '../base/errors';

/**
 * Framing diagnostics: a file that is not the text the contract describes
 * (UTF-16, binary, another delimiter, CR-only line endings, a JSON document)
 * would otherwise surface as "missing required columns". These checks name
 * the actual problem and its fix. They run on the first bytes, and on the
 * header only when it does not fit the contract, so they cost nothing on
 * good files.
 */

type Where = { dataset?: string; key?: string };

const framing = (what: string, where: Where, fix: string) => new DataError('parse.framing', what, where, fix);

/** Magic numbers of formats that are sent by mistake. */
const MAGIC: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (or an Excel .xlsx workbook)'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x41, 0x52, 0x31], 'a Parquet file'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Office document (.xls)'],
  [[0x42, 0x5a, 0x68], 'a bzip2 stream'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'an xz stream'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'a zstd stream'],
];

/** Checks the first (decompressed) bytes of a file: UTF-16 and binary content are refused with their fix. */
export function sniffBytes(b: Uint8Array, encoding: string, where: Where): void {
  for (const [magic, what] of MAGIC) {
    if (magic.every((x, i) => b[i] === x))
      throw framing(`file is ${what}, not text`, where, 'Upload the export as text (CSV or JSON), or gzip-compressed text');
  }
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) {
    throw framing(
      'file is UTF-16 (it starts with a UTF-16 byte-order mark)',
      where,
      `Re-export the file as ${encoding === 'latin1' ? 'latin1 or UTF-8' : 'UTF-8'}`,
    );
  }
  const n = Math.min(b.length, 4096);
  let zeros = 0;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i++) {
    if (b[i] !== 0) continue;
    zeros++;
    if (i & 1) oddZeros++;
    else evenZeros++;
  }
  if (!zeros) return;
  // Text in UTF-16 has a zero in every other byte (ASCII characters); binary has zeros anywhere.
  if (n >= 4 && Math.max(evenZeros, oddZeros) >= n / 2 - 2 && Math.min(evenZeros, oddZeros) <= n / 64) {
    throw framing(
      `file looks like UTF-16 (${oddZeros > evenZeros ? 'little' : 'big'}-endian, no byte-order mark): every other byte is zero`,
      where,
      'Re-export the file as UTF-8',
    );
  }
  throw framing(`file looks binary, not text (${zeros} zero bytes in the first ${n})`, where, 'Upload the data as text (CSV or JSON), or gzip-compressed text');
}

/**
 * The first decoded text of a CSV file: carriage returns and not one newline
 * in a first chunk of some size means CR-only line endings, which would
 * otherwise read as one record as long as the file (and hit maxRecordLength).
 */
export function sniffCsvText(text: string, where: Where): void {
  if (text.length >= 4096 && text.indexOf('\n') < 0 && text.indexOf('\r') >= 0) {
    throw framing('file has CR-only line endings (old Mac style): the whole file reads as one line', where, 'Re-export with LF or CRLF line endings');
  }
}

const DELIMITERS = [',', ';', '\t', '|'];
const show = (d: string) => (d === '\t' ? 'a tab' : `'${d}'`);

/**
 * Called when a file's column names do not fit the contract: whether the
 * names say the framing is wrong rather than the schema. Throws the framing
 * error, or returns so the schema error is raised.
 */
export function diagnoseHeader(names: string[], contract: Contract, where: Where): void {
  const fmt = contract.format;
  if (fmt.type !== 'csv') return;
  if (!names.length || names.every((n) => n.trim() === '')) {
    throw framing(
      'blank header: the first line has no column names',
      where,
      'Remove the blank line(s) before the header, or send the header on the first line',
    );
  }
  const joined = names.join(fmt.delimiter);
  const first = joined.trimStart();
  if (first.startsWith('{') || first.startsWith('[')) {
    throw framing('file looks like a JSON document, not CSV', where, 'Send it to a dataset whose contract reads JSON (format json or jsonl), or export CSV');
  }
  if (/\r(?!\n)/.test(joined)) {
    throw framing('file has CR-only line endings (old Mac style): the whole file reads as one line', where, 'Re-export with LF or CRLF line endings');
  }
  const wanted = new Set(contract.columns.map((c) => c.name.toLowerCase()));
  const hits = (cols: string[]) => cols.filter((c) => wanted.has(c.trim().replace(/^"|"$/g, '').toLowerCase())).length;
  const own = hits(names);
  for (const d of DELIMITERS) {
    if (d === fmt.delimiter || !joined.includes(d)) continue;
    const split = joined.split(d);
    if (hits(split) > own && split.length > names.length) {
      throw framing(
        `delimiter looks like ${show(d)}, not ${show(fmt.delimiter)}: the header splits into ${bounded(split.slice(0, 8).join(', '), 300)}${split.length > 8 ? ', …' : ''}`,
        where,
        `Re-export with ${show(fmt.delimiter)} as the delimiter, or set format.delimiter to ${JSON.stringify(d)} in the contract`,
      );
    }
  }
}
