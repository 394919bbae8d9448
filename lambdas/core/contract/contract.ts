import { z } from 'zod';
import { columnReadOptions, COLUMN_TYPES, DATE_PART, groupColumnName, inputSchema } from './input';
import { CODECS } from '../parquet/compress';
import { isReserved, RESERVED_NAMES } from './audit';
import { validOffset } from '../typing/time';

/**
 * A data contract: what a dataset's files must look like and what the pipeline
 * makes of them. One JSON file per dataset under config/contracts/. The schema is
 * strict (unknown keys are errors) so a typo in a contract fails at load, not at 3am.
 */

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column identifier (letters, digits, _)');

const unknownType = (iss: { input?: unknown }) => `unknown type ${JSON.stringify(iss.input)}: use one of ${COLUMN_TYPES}`;
export const columnTypeSchema = z.union(
  [
    z.enum(['string', 'integer', 'double', 'boolean', 'date', 'timestamp']),
    z
      .string()
      .regex(/^decimal\(\s*\d{1,2}\s*,\s*\d{1,2}\s*\)$/, { error: unknownType })
      .refine((t) => {
        const [p, s] = t.slice(8, -1).split(',').map(Number);
        return p >= 1 && p <= 38 && s <= p;
      }, 'decimal(p,s) needs 1 <= p <= 38 and 0 <= s <= p'),
  ],
  { error: unknownType },
);

function validZone(z: string): boolean {
  if (z === 'UTC' || z === 'Z') return true;
  if (/^[+-]/.test(z)) return validOffset(z);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}

const positive = z.number().int().positive();
/** Bounds on one file's cost (contract/limits.ts has the defaults and what each means). */
const limitsSchema = z.strictObject({
  maxDecompressedBytes: positive.optional(),
  maxCompressionRatio: z.number().positive().optional(),
  maxRecordLength: positive.optional(),
  maxFieldLength: positive.optional(),
  maxColumns: positive.optional(),
  maxPartitions: positive.optional(),
  maxJsonDepth: positive.optional(),
  maxQuarantineBytes: positive.optional(),
});

const columnSchema = z.strictObject({
  name: identifier,
  type: columnTypeSchema,
  ...columnReadOptions,
  nullable: z.boolean().default(true),
  /** Used when the column is missing from the file (schema evolution) or the value is empty. */
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  /** date/timestamp input format: 'iso' (default), 'epoch_ms', 'epoch_s', or a pattern such as 'dd/MM/yyyy HH:mm:ss'. */
  format: z.string().optional(),
  /** IANA zone or ±HH:MM offset applied to timestamps without an offset. @default 'UTC' */
  timezone: z
    .string()
    .refine(validZone, {
      error: (iss) => `unknown time zone ${JSON.stringify(iss.input)}: use an IANA zone (Europe/Paris), UTC, or an offset from -18:00 to +18:00`,
    })
    .optional(),
  description: z.string().optional(),
});

const severity = z.enum(['error', 'warn']).default('error');
const ruleBase = { id: z.string().optional(), severity };

export const ruleSchema = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('not_null'), column: identifier, ...ruleBase }),
  z.strictObject({ rule: z.literal('unique'), columns: z.array(identifier).min(1), ...ruleBase }),
  // A date or timestamp bound is written as an ISO string ('2026-01-31', '2026-01-31T12:00:00Z').
  z.strictObject({ rule: z.literal('min'), column: identifier, value: z.union([z.number(), z.string()]), exclusive: z.boolean().default(false), ...ruleBase }),
  z.strictObject({ rule: z.literal('max'), column: identifier, value: z.union([z.number(), z.string()]), exclusive: z.boolean().default(false), ...ruleBase }),
  z.strictObject({
    rule: z.literal('accepted_values'),
    column: identifier,
    values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
    ...ruleBase,
  }),
  z.strictObject({ rule: z.literal('not_in'), column: identifier, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1), ...ruleBase }),
  /** `match: false` fails the values that DO match. */
  z.strictObject({ rule: z.literal('regex'), column: identifier, pattern: z.string(), match: z.boolean().default(true), ...ruleBase }),
  /** A boolean expression over the row's typed columns (grammar in quality/expression.ts and README); fails when false. */
  z.strictObject({ rule: z.literal('expression'), expression: z.string().min(1), ...ruleBase }),
  z.strictObject({
    rule: z.literal('length'),
    column: identifier,
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().positive().optional(),
    ...ruleBase,
  }),
]);

const formatSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('csv'),
    delimiter: z.string().length(1).default(','),
    quote: z.string().length(1).default('"'),
    header: z.boolean().default(true),
    encoding: z.enum(['utf-8', 'latin1']).default('utf-8'),
  }),
  z.strictObject({ type: z.literal('jsonl') }),
  z.strictObject({ type: z.literal('json') }),
]);

const aggregateSchema = z.strictObject({
  name: identifier,
  /** Columns, or a date part of one: year(col), month(col), day(col), hour(col), date(col) (gold/view.ts). */
  groupBy: z.array(z.union([identifier, z.string().regex(DATE_PART, 'a column or year(col), month(col), day(col), hour(col), date(col)')])).default([]),
  measures: z
    .array(
      z.strictObject({
        fn: z.enum(['count', 'sum', 'min', 'max', 'avg', 'count_distinct']),
        column: identifier.optional(),
        as: identifier,
        /** Only rows where this expression (the expression rule's grammar) is true count towards the measure. */
        where: z.string().min(1).optional(),
      }),
    )
    .min(1),
});

/**
 * The contract document's shape (and the checks that need only the document).
 * Load contracts with parseContract (load.ts), which adds the type checks
 * against the columns; this schema alone also feeds the editors' JSON Schema.
 */
export const contractSchema = z
  .strictObject({
    /** Editors' JSON Schema (schemas/contract.schema.json); ignored by the pipeline. */
    $schema: z.string().optional(),
    dataset: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _'),
    /** Current contract version: the shape silver is written in. */
    version: z.number().int().positive(),
    description: z.string().optional(),
    format: formatSchema.default({ type: 'csv', delimiter: ',', quote: '"', header: true, encoding: 'utf-8' }),
    /** Contract-wide reading options; a column's own options take precedence. */
    input: inputSchema.optional(),
    columns: z.array(columnSchema).min(1),
    /** Key columns: silver keeps one row per key (onDuplicate) and counts the rest as duplicates. */
    keys: z.array(identifier).default([]),
    /** Rows sharing a key: keep the first, keep the last, or quarantine every row of a key whose rows differ (quality/duplicates.ts). */
    onDuplicate: z.enum(['first', 'last', 'quarantine']).default('first'),
    /** Also write the dropped duplicate rows to quarantine/<dataset>/duplicates/. */
    keepDuplicates: z.boolean().default(false),
    /** Column whose date partitions silver (`dt=YYYY-MM-DD`); ingest date when absent. */
    partitionBy: identifier.optional(),
    /** Size of partitionBy's partitions: dt=YYYY-MM-DDTHH (hour, timestamps only), YYYY-MM-DD, YYYY-MM or YYYY. */
    partitionGranularity: z.enum(['hour', 'day', 'month', 'year']).default('day'),
    rules: z.array(ruleSchema).default([]),
    fileRules: z
      .strictObject({
        minRows: z.number().int().nonnegative().default(0),
        maxRows: z.number().int().positive().optional(),
        /** Above this share of rejected rows the whole file is quarantined (`quality.reject_ratio`). */
        maxRejectRatio: z.number().min(0).max(1).default(0.5),
      })
      .default({ minRows: 0, maxRejectRatio: 0.5 }),
    evolution: z
      .strictObject({
        /** Source columns the contract does not know. */
        onAddedColumns: z.enum(['keep', 'drop', 'reject']).default('drop'),
        /** Old source name → current column name. */
        renames: z.record(z.string(), identifier).default({}),
        /** Current columns absent from the file: filled with `default`/null, or the file is rejected. */
        onMissingColumns: z.enum(['fill', 'reject']).default('fill'),
        /** A JSON value of another type than declared: coerce it (counted as a warning) or reject the file. */
        onTypeChange: z.enum(['coerce', 'reject']).default('coerce'),
      })
      .default({ onAddedColumns: 'drop', renames: {}, onMissingColumns: 'fill', onTypeChange: 'coerce' }),
    /** Earlier versions' column names, to report which version a file matches. */
    history: z.array(z.strictObject({ version: z.number().int().positive(), columns: z.array(z.string()).min(1) })).default([]),
    gold: z.array(aggregateSchema).default([]),
    limits: limitsSchema.default({}),
    /** Parquet page compression of silver and gold; the pipeline config's parquet.compression when absent (zstd). */
    compression: z.enum(CODECS).optional(),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const lower = new Map<string, string>();
    for (const col of c.columns) {
      const prior = lower.get(col.name.toLowerCase());
      // Athena, Glue and Spark fold names to lower case: id and ID would be one column there.
      if (prior !== undefined)
        ctx.addIssue({
          code: 'custom',
          message:
            prior === col.name
              ? `duplicate column ${col.name}`
              : `columns ${prior} and ${col.name} differ only in case (engines fold names to lower case); rename one`,
          path: ['columns'],
        });
      if (isReserved(col.name))
        ctx.addIssue({
          code: 'custom',
          message: `column name ${col.name} is reserved (${RESERVED_NAMES.join(', ')}: the partition key and audit columns); rename it, and map the source name with evolution.renames`,
          path: ['columns'],
        });
      // Gold's filtered measures are derived columns of these names (gold/view.ts): a real one would be read instead.
      if (/^_where_/i.test(col.name))
        ctx.addIssue({
          code: 'custom',
          message: `column name ${col.name} is reserved (names starting _where_ are gold's filtered measures); rename it, and map the source name with evolution.renames`,
          path: ['columns'],
        });
      names.add(col.name);
      lower.set(col.name.toLowerCase(), col.name);
      if (!col.nullable && col.default === null)
        ctx.addIssue({ code: 'custom', message: `column ${col.name} is not nullable but defaults to null`, path: ['columns'] });
    }
    const known = (col: string, path: (string | number)[]) => {
      if (!names.has(col)) ctx.addIssue({ code: 'custom', message: `unknown column ${col}`, path });
    };
    c.keys.forEach((k, i) => known(k, ['keys', i]));
    if (!c.partitionBy && c.partitionGranularity !== 'day')
      ctx.addIssue({
        code: 'custom',
        message: "partitionGranularity sizes the partitionBy column's partitions: set partitionBy (a date or timestamp column)",
        path: ['partitionGranularity'],
      });
    if (c.partitionBy) {
      known(c.partitionBy, ['partitionBy']);
      const t = c.columns.find((x) => x.name === c.partitionBy)?.type;
      if (t && t !== 'date' && t !== 'timestamp')
        ctx.addIssue({ code: 'custom', message: 'partitionBy must be a date or timestamp column', path: ['partitionBy'] });
      if (t === 'date' && c.partitionGranularity === 'hour')
        ctx.addIssue({
          code: 'custom',
          message: `${c.partitionBy} is a date: hour partitions need a timestamp column (use day, month or year)`,
          path: ['partitionGranularity'],
        });
    }
    c.rules.forEach((r, i) => ('columns' in r ? r.columns : 'column' in r ? [r.column] : []).forEach((col) => known(col, ['rules', i])));
    c.rules.forEach((r, i) => {
      if (r.rule === 'regex') {
        try {
          new RegExp(r.pattern);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: `invalid regex: ${(e as Error).message}`, path: ['rules', i, 'pattern'] });
        }
      }
    });
    Object.values(c.evolution.renames).forEach((to) => known(to, ['evolution', 'renames']));
    const typeOf = new Map(c.columns.map((x) => [x.name, x.type]));
    c.gold.forEach((g, i) => {
      g.groupBy.forEach((col, j) => {
        known(DATE_PART.exec(col)?.[2] ?? col, ['gold', i, 'groupBy']);
        // year(d) is computed into a column year_d (gold/view.ts), which would stand in for a real year_d everywhere in gold.
        const derived = DATE_PART.test(col) ? groupColumnName(col) : undefined;
        const real = derived && lower.get(derived.toLowerCase());
        if (real)
          ctx.addIssue({
            code: 'custom',
            message: `groupBy ${col} makes the gold column ${derived}, which is also the contract's column ${real}; rename that column (evolution.renames maps its source name)`,
            path: ['gold', i, 'groupBy', j],
          });
      });
      const outputs = new Map<string, string>();
      const output = (name: string, path: (string | number)[]) => {
        const k = name.toLowerCase();
        if (outputs.has(k) || isReserved(name))
          ctx.addIssue({
            code: 'custom',
            message: `gold column ${name} ${outputs.has(k) ? `clashes with ${outputs.get(k)} (names compare case-insensitively)` : 'is reserved'}; choose another name`,
            path,
          });
        outputs.set(k, name);
      };
      g.groupBy.forEach((col, j) => output(groupColumnName(col), ['gold', i, 'groupBy', j]));
      g.measures.forEach((m, j) => {
        output(m.as, ['gold', i, 'measures', j, 'as']);
        if (m.column) known(m.column, ['gold', i, 'measures', j]);
        else if (m.fn !== 'count') ctx.addIssue({ code: 'custom', message: `${m.fn} needs a column`, path: ['gold', i, 'measures', j] });
        const t = m.column && typeOf.get(m.column);
        if (t && (m.fn === 'sum' || m.fn === 'avg') && !(t === 'integer' || t === 'double' || t.startsWith('decimal'))) {
          ctx.addIssue({
            code: 'custom',
            message: `${m.fn}(${m.column}) needs a numeric column (integer, double or decimal), not ${t}; use count, min, max or count_distinct`,
            path: ['gold', i, 'measures', j],
          });
        }
      });
    });
    const versions = c.history.map((h) => h.version);
    if (versions.some((v) => v >= c.version)) ctx.addIssue({ code: 'custom', message: 'history versions must be older than version', path: ['history'] });
  });

export type Contract = z.output<typeof contractSchema>;
export type ContractInput = z.input<typeof contractSchema>;
export type Column = Contract['columns'][number];
export type Rule = Contract['rules'][number];
export type Aggregate = Contract['gold'][number];
export type ColumnType = Column['type'];

/** Stable id of a rule, used as `_rule` in quarantine rows and as the per-reason key in manifests. */
export function ruleId(rule: Rule): string {
  if (rule.id) return rule.id;
  if (rule.rule === 'expression') return `expression(${rule.expression.length > 60 ? `${rule.expression.slice(0, 57)}...` : rule.expression})`;
  return rule.rule === 'unique' ? `unique(${rule.columns.join(',')})` : `${rule.rule}(${rule.column})`;
}

export interface ContractRegistry {
  get(dataset: string): Contract | undefined;
  datasets(): string[];
}

export function registryOf(contracts: Contract[]): ContractRegistry {
  const map = new Map(contracts.map((c) => [c.dataset, c]));
  return { get: (d) => map.get(d), datasets: () => [...map.keys()] };
}
