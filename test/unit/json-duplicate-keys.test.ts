import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonRecord, repeatsKey } from '../../lambdas/core/read/json';
import { DEFAULT_LIMITS } from '../../lambdas/core/contract/limits';

/** A JSON object with a key twice parses to one value silently: such a record is rejected, not read as the last value. */
describe('JSON objects that repeat a key', () => {
  const keyed = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });

  it('any JSON text without a repeated key is read (property, keys and strings full of quotes, colons and escapes)', () => {
    fc.assert(
      fc.property(keyed, (obj) => {
        const text = JSON.stringify(obj);
        expect(repeatsKey(text, JSON.parse(text))).toBe(false);
        expect(parseJsonRecord(text, DEFAULT_LIMITS).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a key repeated in the record or in any nested object is rejected with a reason (property)', () => {
    fc.assert(
      fc.property(keyed, fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (obj, a, b, nested) => {
        const [k] = Object.keys(obj);
        const dup = `{${JSON.stringify(k)}:${JSON.stringify(a)},${JSON.stringify(k)}:${JSON.stringify(b)}}`;
        const body = JSON.stringify(obj).slice(1, -1);
        const text = nested
          ? `{"outer":[1,${dup}]${body ? `,${body}` : ''}}`
          : `${dup.slice(0, -1)}${body ? `,${body}` : ''}}`.replace(`${JSON.stringify(k)}:${JSON.stringify(obj[k])}`, '"__x":0');
        const parsed = parseJsonRecord(text, DEFAULT_LIMITS);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(parsed.error).toMatch(/same key twice/);
      }),
      { numRuns: 500 },
    );
  });

  it('the silent case: {"value":1,"value":2} is not read as 2', () => {
    expect(parseJsonRecord('{"id":"a","value":1,"value":2}', DEFAULT_LIMITS).ok).toBe(false);
    expect(parseJsonRecord('{"id":"a:\\"b\\":","value":1}', DEFAULT_LIMITS).ok).toBe(true);
  });
});
