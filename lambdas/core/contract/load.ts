import { typeCheckContract } from './check';
import { contractSchema, type Contract } from './contract';
import { withInput } from './input';

/**
 * The contract loader: the document's shape (contract.ts), then, once the shape
 * is sound, the type checks against its columns (check.ts). Every contract the
 * pipeline uses, from files, construct props or the Lambda bundle, comes
 * through here.
 */

/** Validate a parsed contract document; errors name the file and every offending path. */
export function parseContract(raw: unknown, source = 'contract'): Contract {
  const result = contractSchema.safeParse(raw);
  if (!result.success) throw invalid(source, result.error.issues);
  const contract = withInput(result.data);
  const issues = typeCheckContract(contract);
  if (issues.length) throw invalid(source, issues);
  return contract;
}

function invalid(source: string, issues: readonly { path: PropertyKey[]; message: string }[]): Error {
  const lines = issues.map((i) => `  - ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return new Error(`Invalid contract ${source}:\n${lines.join('\n')}\nFix the contract file and run \`pipeline check-config\`.`);
}
