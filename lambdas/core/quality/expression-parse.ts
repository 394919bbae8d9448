/**
 * The `expression` rule's syntax: tokens and a recursive-descent parser into a
 * tree that quality/expression.ts type-checks and compiles. The grammar is documented
 * there and in README.
 */

export type Node =
  | { t: 'num'; text: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'bool'; v: boolean; at: number }
  | { t: 'null'; at: number }
  | { t: 'col'; name: string; at: number }
  | { t: 'typed'; kind: 'date' | 'timestamp'; v: string; at: number }
  | { t: 'neg'; e: Node; at: number }
  | { t: 'not'; e: Node; at: number }
  | { t: 'isnull'; e: Node; negated: boolean; at: number }
  | { t: 'bin'; op: string; l: Node; r: Node; at: number }
  | { t: 'call'; fn: string; args: Node[]; at: number };

export class ExpressionError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|<>|!=|==|[=<>+\-*/%(),]))/y;
type Tok = { kind: 'num' | 'str' | 'id' | 'op' | 'end'; text: string; at: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m)
      throw new ExpressionError(
        `unexpected '${src.slice(pos).trim()[0]}' at position ${pos + 1 + (src.slice(pos).length - src.slice(pos).trimStart().length)}`,
      );
    const at = pos + m[0].length - m[0].trimStart().length + 1;
    if (m[1] !== undefined) out.push({ kind: 'num', text: m[1], at });
    else if (m[2] !== undefined) out.push({ kind: 'str', text: m[2].replace(/''/g, "'"), at });
    else if (m[3] !== undefined) out.push({ kind: 'id', text: m[3], at });
    else out.push({ kind: 'op', text: m[4], at });
    pos = TOKEN.lastIndex;
  }
  out.push({ kind: 'end', text: '', at: src.length + 1 });
  return out;
}

export const CMP = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=']);

/** Parses an expression into its syntax tree (exported for tests). */
export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const kw = (word: string) => peek().kind === 'id' && peek().text.toLowerCase() === word;
  const op = (o: string) => peek().kind === 'op' && peek().text === o;
  const expect = (o: string) => {
    if (!op(o)) throw new ExpressionError(`expected '${o}' at position ${peek().at}, found ${describe(peek())}`);
    i++;
  };
  const or = (): Node => {
    let l = and();
    while (kw('or')) {
      const at = toks[i++].at;
      l = { t: 'bin', op: 'or', l, r: and(), at };
    }
    return l;
  };
  const and = (): Node => {
    let l = not();
    while (kw('and')) {
      const at = toks[i++].at;
      l = { t: 'bin', op: 'and', l, r: not(), at };
    }
    return l;
  };
  const not = (): Node => {
    if (kw('not')) {
      const at = toks[i++].at;
      return { t: 'not', e: not(), at };
    }
    return cmp();
  };
  const cmp = (): Node => {
    const l = sum();
    const t = peek();
    if (t.kind === 'op' && CMP.has(t.text)) {
      i++;
      return { t: 'bin', op: t.text === '==' ? '=' : t.text === '<>' ? '!=' : t.text, l, r: sum(), at: t.at };
    }
    if (kw('is')) {
      i++;
      const negated = kw('not');
      if (negated) i++;
      if (!kw('null')) throw new ExpressionError(`expected 'null' after 'is' at position ${peek().at}`);
      i++;
      return { t: 'isnull', e: l, negated, at: t.at };
    }
    return l;
  };
  const sum = (): Node => {
    let l = product();
    while (op('+') || op('-')) {
      const t = toks[i++];
      l = { t: 'bin', op: t.text, l, r: product(), at: t.at };
    }
    return l;
  };
  const product = (): Node => {
    let l = unary();
    while (op('*') || op('/') || op('%')) {
      const t = toks[i++];
      l = { t: 'bin', op: t.text, l, r: unary(), at: t.at };
    }
    return l;
  };
  const unary = (): Node => {
    if (op('-')) {
      const at = toks[i++].at;
      return { t: 'neg', e: unary(), at };
    }
    return primary();
  };
  const primary = (): Node => {
    const t = toks[i++];
    if (t.kind === 'num') return { t: 'num', text: t.text, at: t.at };
    if (t.kind === 'str') return { t: 'str', v: t.text, at: t.at };
    if (t.kind === 'op' && t.text === '(') {
      const e = or();
      expect(')');
      return e;
    }
    if (t.kind === 'id') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') return { t: 'bool', v: w === 'true', at: t.at };
      if (w === 'null') return { t: 'null', at: t.at };
      if ((w === 'date' || w === 'timestamp') && peek().kind === 'str') return { t: 'typed', kind: w, v: toks[i++].text, at: t.at };
      if (op('(')) {
        i++;
        const args = [or()];
        while (op(',')) {
          i++;
          args.push(or());
        }
        expect(')');
        return { t: 'call', fn: w, args, at: t.at };
      }
      if (['and', 'or', 'not', 'is'].includes(w)) throw new ExpressionError(`unexpected '${t.text}' at position ${t.at}`);
      return { t: 'col', name: t.text, at: t.at };
    }
    throw new ExpressionError(`unexpected ${describe(t)} at position ${t.at}`);
  };
  const tree = or();
  if (peek().kind !== 'end') throw new ExpressionError(`unexpected ${describe(peek())} at position ${peek().at}`);
  return tree;
}

function describe(t: Tok): string {
  return t.kind === 'end' ? 'end of expression' : `'${t.text}'`;
}
