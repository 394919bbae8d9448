/**
 * The package entry: the LandingToLake construct, its props and the types
 * they use. Everything else under lib/ is internal.
 */
export { LandingToLake, type LandingToLakeProps } from './landing-to-lake';
export { propsFromConfig, resolvePipelineConfig, type DatasetDefinition, type PipelineResolveProps, type PipelineSettings } from './construct-props';
export { ConfigError, loadConfig, type DatasetConfig, type PipelineConfig } from './config';
export type { Contract } from '../lambdas/core/contract/contract';
