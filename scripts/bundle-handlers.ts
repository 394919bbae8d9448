/**
 * Pack-time bundles of the Lambda handlers (npm run build:lib, run by prepack):
 * dist/handlers/<name>/index.js (+ .map), built with the options NodejsFunction
 * uses inside this repository (lib/stage-function.ts), so the published
 * construct deploys the same code without esbuild on the consumer's machine.
 * Contracts are not compiled in: the construct writes contracts.json beside the
 * bundle at synth (lambdas/shared/deps.ts reads it).
 */
import { buildSync } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_TARGET, HANDLERS } from '../lib/stage-function';

const root = join(__dirname, '..');
const out = join(root, 'dist', 'handlers');
rmSync(out, { recursive: true, force: true });
for (const name of HANDLERS) {
  const t0 = Date.now();
  buildSync({
    entryPoints: [join(root, 'lambdas', 'handlers', `${name}.ts`)],
    outfile: join(out, name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  console.log(`bundled ${name} in ${Date.now() - t0} ms`);
}
