import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { pipelineConfigSchema } from '../lib/config';
import { contractSchema } from '../lambdas/core/contract/contract';

/**
 * JSON Schemas for contracts and the pipeline config, generated from the zod
 * schemas the loader uses, so editors validate and complete the files the
 * pipeline will accept. Run `npm run schemas` after changing a zod schema;
 * test/unit/schemas.test.ts fails while the shipped files are stale.
 * Type checks against the columns (contract/check.ts) need the whole
 * contract and stay with `pipeline check-config`.
 */

export const SCHEMA_FILES = {
  'contract.schema.json': { schema: contractSchema, title: 'landing-to-lake data contract' },
  'pipeline.schema.json': { schema: pipelineConfigSchema, title: 'landing-to-lake pipeline config' },
} as const;

export function renderSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, { schema, title }] of Object.entries(SCHEMA_FILES)) {
    // Input side: what a person writes (defaults are optional there).
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    out[file] = `${JSON.stringify({ ...json, $id: `https://landing-to-lake.local/schemas/${file}`, title }, null, 2)}\n`;
  }
  return out;
}

if (require.main === module) {
  for (const [file, text] of Object.entries(renderSchemas())) {
    writeFileSync(join(__dirname, '..', 'schemas', file), text);
    console.log(`wrote schemas/${file} (${text.length} bytes)`);
  }
}
