import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText, endsOnCharBoundary } from '../../lambdas/core/read/source';

const where = { dataset: 'd', key: 'landing/d/f.csv' };

async function decode(chunks: Uint8Array[], encoding: 'utf-8' | 'latin1' = 'utf-8'): Promise<string> {
  let out = '';
  for await (const s of decodeText(
    (async function* () {
      yield* chunks;
    })(),
    encoding,
    where,
  ))
    out += s;
  return out;
}

/** Cut bytes at the given offsets (anywhere, including inside a character). */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

describe('decodeText (ASCII chunks take a fast path, the rest the streaming decoder)', () => {
  it('gives back the text whatever the chunk boundaries, mixing ASCII and multi-byte chunks (property)', async () => {
    const text = fc
      .array(fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('é', '€', '😀', 'a,b\n', '\uFEFF')), {
        maxLength: 30,
      })
      .map((a) => a.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 8 }), async (t, at) => {
        // A leading U+FEFF is a byte-order mark, dropped; anywhere else it is text.
        expect(await decode(cut(new TextEncoder().encode(t), at))).toBe(t.startsWith('\uFEFF') ? t.slice(1) : t);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects invalid UTF-8 after ASCII chunks, and a character cut off at the end of the file', async () => {
    const ascii = new TextEncoder().encode('id,name\n1,a\n');
    await expect(decode([ascii, new Uint8Array([0x31, 0x2c, 0xff, 0x0a])])).rejects.toMatchObject({ reason: 'parse.encoding' });
    await expect(decode([ascii, new Uint8Array([0xc3])])).rejects.toMatchObject({ reason: 'parse.encoding' });
    // A lead byte then ASCII: the decoder, not the fast path, must see the ASCII chunk.
    await expect(decode([new Uint8Array([0x31, 0xe2, 0x82]), ascii])).rejects.toMatchObject({ reason: 'parse.encoding' });
    // ...else the split character's last byte, arriving later, would complete it across the gap.
    await expect(decode([new Uint8Array([0x31, 0xe2, 0x82]), ascii, new Uint8Array([0xac])])).rejects.toMatchObject({ reason: 'parse.encoding' });
    // The split character's bytes spread over chunks, or an empty chunk between: still mid-character.
    await expect(decode([new Uint8Array([0x31, 0xe2]), new Uint8Array([0x82]), ascii, new Uint8Array([0xac])])).rejects.toMatchObject({
      reason: 'parse.encoding',
    });
    await expect(decode([new Uint8Array([0x31, 0xe2, 0x82]), new Uint8Array(0), ascii, new Uint8Array([0xac])])).rejects.toMatchObject({
      reason: 'parse.encoding',
    });
  });

  it('keeps a U+FEFF inside the file wherever the chunks split (only a leading one is a byte-order mark)', async () => {
    const bytes = new TextEncoder().encode('id,name\n1,\uFEFFx\n');
    expect(await decode([bytes])).toBe('id,name\n1,\uFEFFx\n');
    expect(await decode([bytes.subarray(0, 10), bytes.subarray(10)])).toBe('id,name\n1,\uFEFFx\n');
    // Right after a character split across chunks (Node 24's streaming decoder drops it there).
    const split = new TextEncoder().encode('\u00e9\uFEFF');
    for (let at = 0; at <= split.length; at++) expect(await decode([split.subarray(0, at), split.subarray(at)])).toBe('\u00e9\uFEFF');
    // A byte-order mark split across the first chunks is still only a byte-order mark.
    const bom = new TextEncoder().encode('\uFEFFa,b\n');
    for (let at = 0; at <= 3; at++) expect(await decode([bom.subarray(0, at), bom.subarray(at)])).toBe('a,b\n');
  });

  it('decodes latin1 files, ASCII chunks included', async () => {
    expect(await decode([new TextEncoder().encode('a,b\n'), new Uint8Array([0x63, 0xe9, 0x0a])], 'latin1')).toBe('a,b\ncé\n');
  });

  it('knows whether bytes end on a character boundary', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(endsOnCharBoundary(enc('abc'))).toBe(true);
    expect(endsOnCharBoundary(enc('a€'))).toBe(true);
    expect(endsOnCharBoundary(enc('a€').subarray(0, 3))).toBe(false);
    expect(endsOnCharBoundary(enc('😀').subarray(0, 1))).toBe(false);
    expect(endsOnCharBoundary(enc('😀'))).toBe(true);
    expect(endsOnCharBoundary(new Uint8Array(0))).toBe(true);
  });
});
