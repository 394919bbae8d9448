import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { cachedDefinition, definitionKey, synthesizeDefinition } from '../../src/cli/asl';

/** The on-disk cache `pipeline run` reads its state machine from (src/cli/asl.ts). */
describe('state machine definition cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asl-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig('config/pipeline.json', 'dev');
  let validations = 0;
  const validate = () => void validations++;

  it('a hit gives exactly the definition a fresh synth gives, without validating again', async () => {
    const miss = await cachedDefinition(config, validate, dir);
    expect(miss.hit).toBe(false);
    expect(validations).toBe(1);
    const hit = await cachedDefinition(config, validate, dir);
    expect(hit.hit).toBe(true);
    expect(hit.validated).toBe(true);
    expect(validations).toBe(1);
    expect(hit.definition).toEqual(await synthesizeDefinition(config));
  }, 120_000);

  it('changing the config (or a contract) invalidates it', async () => {
    const slower: PipelineConfig = { ...config, stages: { ...config.stages, timeoutSeconds: config.stages.timeoutSeconds + 60 } };
    expect(definitionKey(slower)).not.toBe(definitionKey(config));
    const r = await cachedDefinition(slower, validate, dir);
    expect(r.hit).toBe(false);
    expect(r.definition).toEqual(await synthesizeDefinition(slower));
    expect(r.definition).not.toEqual((await cachedDefinition(config, validate, dir)).definition);
    const contract = { ...config.datasets[0].contract, version: config.datasets[0].contract.version + 1 };
    const edited: PipelineConfig = { ...config, datasets: [{ ...config.datasets[0], contract }, ...config.datasets.slice(1)] };
    expect(definitionKey(edited)).not.toBe(definitionKey(config));
  }, 120_000);

  it('does not depend on where the config was read from', () => {
    expect(
      definitionKey({ ...config, configFile: '/elsewhere/pipeline.json', datasets: config.datasets.map((d) => ({ ...d, contractFile: '/x.json' })) }),
    ).toBe(definitionKey(config));
  });

  it('caches nothing the validation rejects', async () => {
    const other: PipelineConfig = { ...config, name: 'other-pipeline' };
    const before = readdirSync(dir).length;
    await expect(
      cachedDefinition(
        other,
        () => {
          throw new Error('invalid definition');
        },
        dir,
      ),
    ).rejects.toThrow('invalid definition');
    expect(readdirSync(dir)).toHaveLength(before);
  }, 120_000);
});
