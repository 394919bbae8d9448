import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pipelineConfigSchema } from '../../lib/config';
import { parseContract } from '../../lambdas/core/contract/load';
import { renderSchemas } from '../../scripts/gen-schemas';

/** Whether the pipeline's contract loader (shape, then type checks) accepts a document. */
function loads(doc: unknown): boolean {
  try {
    parseContract(doc);
    return true;
  } catch {
    return false;
  }
}

const shipped = (f: string) => JSON.parse(readFileSync(join('schemas', f), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const contractValid = ajv.compile(shipped('contract.schema.json'));
const configValid = ajv.compile(shipped('pipeline.schema.json'));

describe('JSON Schemas for contracts and the config', () => {
  it('the shipped files are what the zod schemas generate (run `npm run schemas` after changing one)', () => {
    for (const [file, text] of Object.entries(renderSchemas())) expect(readFileSync(join('schemas', file), 'utf8')).toBe(text);
  });

  it('every contract and config in the repo names its schema, validates against it and loads', () => {
    for (const f of readdirSync('config/contracts')) {
      const doc = JSON.parse(readFileSync(join('config/contracts', f), 'utf8'));
      expect(doc.$schema).toBe('../../schemas/contract.schema.json');
      expect(contractValid(doc), `${f}: ${ajv.errorsText(contractValid.errors)}`).toBe(true);
      expect(() => parseContract(doc, f)).not.toThrow();
    }
    const cfg = JSON.parse(readFileSync('config/pipeline.json', 'utf8'));
    expect(cfg.$schema).toBe('../schemas/pipeline.schema.json');
    expect(configValid(cfg), ajv.errorsText(configValid.errors)).toBe(true);
    expect(pipelineConfigSchema.safeParse(cfg).success).toBe(true);
  });

  it('schema and loader agree on the shape of random contract documents (property)', () => {
    // Documents near valid ones: mutations of field values and keys the loader must judge as the schema does.
    const base = JSON.parse(readFileSync('config/contracts/weather.json', 'utf8'));
    const anyValue = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.integer({ min: -2, max: 40 }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('int', 'decimal(10,2)', 'date', 'csv', 'last', 'exact', 'min', 'expression'),
    );
    const path = fc.constantFrom(
      ['version'],
      ['format', 'type'],
      ['format', 'delimiter'],
      ['input', 'trim'],
      ['input', 'emptyAs'],
      ['input', 'headerMatch'],
      ['columns', 0, 'type'],
      ['columns', 1, 'format'],
      ['columns', 2, 'dst', 'gap'],
      ['columns', 3, 'nullValues'],
      ['columns', 0, 'source'],
      ['columns', 0, 'pivotYear'],
      ['rules', 0, 'rule'],
      ['rules', 3, 'value'],
      ['rules', 6, 'match'],
      ['onDuplicate'],
      ['keepDuplicates'],
      ['fileRules', 'maxRejectRatio'],
      ['unknownKey'],
      ['columns', 0, 'bogus'],
    );
    fc.assert(
      fc.property(path, anyValue, (p, v) => {
        const doc = structuredClone(base);
        let o = doc;
        for (const k of p.slice(0, -1)) o = o[k];
        o[p[p.length - 1]] = v;
        const schemaSays = contractValid(doc);
        const loaderSays = loads(doc);
        // The loader also type-checks against the columns: it may reject what the shape allows, never the reverse.
        if (loaderSays) expect(schemaSays).toBe(true);
        if (!schemaSays) expect(loaderSays).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
