import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as another team gets it: `npm pack` (prepack builds dist/ and the
 * handler bundles), installed with aws-cdk-lib and constructs into a fresh app
 * outside the repository, which instantiates LandingToLake with one dataset and
 * an existing bucket and synthesizes. Nothing of this repository is on that
 * app's module path: a broken `main`/`exports`, a missing file in `files` or a
 * handler that needs bundling on the consumer's side fails here.
 * About a minute (tsc emit, six esbuild bundles, an offline npm install).
 */

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

const APP = `
const { App, Stack, Aspects } = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const iam = require('aws-cdk-lib/aws-iam');
const { AwsSolutionsChecks } = require('cdk-nag');
const { LandingToLake } = require('${pkg.name}');
const contract = require('./orders-contract.json');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'TeamStack', { env: { account: '111111111111', region: 'eu-west-1' } });
const landingBucket = s3.Bucket.fromBucketName(stack, 'TeamLanding', 'team-existing-landing');
const pipeline = new LandingToLake(stack, 'Orders', { datasets: [{ contract, freshnessSlaMinutes: 60 }], landingBucket, environment: 'team' });
const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
pipeline.grantPutLanding(producer, 'orders');
pipeline.grantReadSilver(producer);
pipeline.metricFilesQuarantined('orders');
Aspects.of(app).add(new AwsSolutionsChecks());
const assembly = app.synth();
const artifact = assembly.getStackByName('TeamStack');
const errors = artifact.messages.filter((m) => m.level === 'error').map((m) => m.id + ': ' + String(m.entry.data).slice(0, 200));
console.log(JSON.stringify({ template: artifact.templateFile, errors, landing: pipeline.landingBucket.bucketName }));
`;

describe('the packed package in a fresh CDK app', () => {
  let dir: string;
  // biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  let out: string;
  let result: { errors: string[]; landing: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ltl-consumer-'));
    const tarball = npm(['pack', '--pack-destination', dir, '--silent'], ROOT).trim().split('\n').pop()!;
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'team-app', private: true, version: '0.0.0' }));
    npm(
      [
        'install',
        join(dir, tarball),
        `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`,
        `constructs@${pkg.devDependencies.constructs}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      app,
    );
    writeFileSync(join(app, 'orders-contract.json'), readFileSync(join(ROOT, 'config', 'contracts', 'orders.json')));
    writeFileSync(join(app, 'app.js'), APP);
    out = join(dir, 'cdk.out');
    const stdout = execFileSync(process.execPath, ['app.js', out], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    result = JSON.parse(stdout.trim().split('\n').pop()!);
    template = JSON.parse(readFileSync(join(out, 'TeamStack.template.json'), 'utf8'));
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it('installs without esbuild or this repository, and ships no TypeScript sources', () => {
    const modules = join(dir, 'app', 'node_modules');
    expect(existsSync(join(modules, 'esbuild'))).toBe(false);
    expect(existsSync(join(modules, pkg.name, 'lambdas', 'handlers'))).toBe(false);
    expect(existsSync(join(modules, pkg.name, 'dist', 'lib', 'index.d.ts'))).toBe(true);
    // The CLI is not part of the package: its bin says so rather than failing on missing sources.
    const cli = spawnSync(process.execPath, [join(modules, pkg.name, 'bin', 'pipeline-cli.cjs'), '--version'], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/construct only/);
  });

  it('runs every function on nodejs24.x arm64 from the pre-built bundles, contracts beside them', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns).toHaveLength(6);
    for (const [, fn] of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
    const assets = readdirSync(out).filter((d) => d.startsWith('asset.'));
    const staged = assets.map((a) => readdirSync(join(out, a)).sort());
    expect(staged.filter((files) => files.includes('index.js') && files.includes('contracts.json'))).toHaveLength(6);
    const withOrders = assets.filter((a) => readFileSync(join(out, a, 'contracts.json'), 'utf8').includes('"dataset":"orders"'));
    expect(withOrders).toHaveLength(4); // validate, transform, publish, quarantine
  });

  it('uses the existing landing bucket and creates none for it', () => {
    expect(result.landing).toBe('team-existing-landing');
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2); // lake and its access logs
    expect(buckets.some(([id]) => /Landing/.test(id))).toBe(false);
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(1);
    expect(rules[0][1].Properties.EventPattern.detail.bucket.name).toEqual(['team-existing-landing']);
    const producerPolicy = JSON.stringify(ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('Producer')));
    expect(producerPolicy).toContain(':s3:::team-existing-landing/landing/orders/*');
    expect(producerPolicy).toContain('glue:GetTable');
  });

  it('has the file pipeline and replay state machines and the queues', () => {
    expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(2);
    expect(ofType('AWS::SQS::Queue')).toHaveLength(5);
    expect(ofType('AWS::Glue::Table').length).toBeGreaterThan(0);
  });

  it("suppresses cdk-nag findings on the construct's resources only, not on the team's own", () => {
    expect(result.errors.filter((e) => e.startsWith('/TeamStack/Orders/'))).toEqual([]);
    // The producer role's prefix grants are the team's to review: still reported.
    expect(result.errors.filter((e) => e.startsWith('/TeamStack/Producer/')).length).toBeGreaterThan(0);
  });
});
