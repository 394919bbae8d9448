import { c, safe, table, topCounts } from '../format';
import type { Fate } from './fate';

/** What `pipeline status --json` prints; the table is rendered from the same object. */
export interface StatusReport {
  stack: string;
  datasets: {
    dataset: string;
    lastSuccess: string | null;
    minutesSinceLastSuccess: number | null;
    slaMinutes: number;
    fresh: boolean;
    files24h: { succeeded: number; quarantined: number; failed: number };
    rows24h: { in: number; out: number; quarantined: number };
    quarantineRatio: number;
    /** Manifest warnings of the last 24 h summed by id (warn rules, coerced types, gold.overflow(...)). */
    warnings24h: Record<string, number>;
  }[];
  queues: Record<string, number>;
  runningExecutions: number;
  alarms: { name: string; state: string; reason?: string }[];
  failedExecutions24h: { name?: string; startDate?: string; dataset?: string; key?: string; error?: string; cause?: string }[];
}

export interface ReconcileRow {
  dataset: string;
  key: string;
  versionId?: string;
  landed: string;
  fate: Fate;
  detail?: string;
}

export interface ReconcileReport {
  stack: string;
  since?: string;
  totals: Record<Fate, number>;
  objects: ReconcileRow[];
}

const DLQ = /Dlq$|^FailedQueue$/;

export function freshnessCell(x: StatusReport['datasets'][number]): string {
  if (x.minutesSinceLastSuccess === null) return c.yellow(`never loaded (SLA ${x.slaMinutes} min)`);
  return (x.fresh ? c.green : c.red)(`${x.minutesSinceLastSuccess} / ${x.slaMinutes} min${x.fresh ? '' : ' LATE'}`);
}

export function renderStatus(r: StatusReport): string {
  const lines: string[] = [c.bold(r.stack), ''];
  lines.push(
    table([
      ['dataset', 'last success', 'age / SLA', 'files 24h ok/quar/fail', 'rows 24h in/out/quar', 'quarantine %'],
      ...r.datasets.map((x) => [
        x.dataset,
        x.lastSuccess ?? 'never',
        freshnessCell(x),
        `${x.files24h.succeeded}/${x.files24h.quarantined}/${x.files24h.failed}`,
        `${x.rows24h.in}/${x.rows24h.out}/${x.rows24h.quarantined}`,
        (100 * x.quarantineRatio).toFixed(1),
      ]),
    ]),
  );
  for (const x of r.datasets) {
    const warned = topCounts(x.warnings24h, 5);
    if (warned) lines.push(`${safe(x.dataset)} ${c.yellow('warnings (24 h):')} ${warned}`);
  }
  lines.push('');
  lines.push(table([['queue', 'messages'], ...Object.entries(r.queues).map(([k, v]) => [k, v > 0 && DLQ.test(k) ? c.red(String(v)) : String(v)])]));
  lines.push('');
  lines.push(`running executions: ${r.runningExecutions}`);
  const byState = r.alarms.reduce<Record<string, number>>((m, a) => ((m[a.state] = (m[a.state] ?? 0) + 1), m), {});
  const order = ['ALARM', 'INSUFFICIENT_DATA', 'OK'];
  const states = Object.keys(byState).sort((a, b) => (order.indexOf(a) + 1 || 9) - (order.indexOf(b) + 1 || 9));
  lines.push(
    `alarms: ${states.map((k) => `${byState[k]} ${k === 'ALARM' ? c.red(k) : k}`).join(', ') || 'none found (is the monitoring deployed?)'}` +
      (byState.INSUFFICIENT_DATA ? c.dim(' (INSUFFICIENT_DATA: no datapoints yet, normal for a quiet pipeline)') : ''),
  );
  for (const a of r.alarms.filter((x) => x.state === 'ALARM')) lines.push(`  ${c.red('ALARM')} ${safe(a.name)} ${c.dim(safe(a.reason ?? ''))}`);
  lines.push('');
  if (!r.failedExecutions24h.length) lines.push('failed executions (24 h): none');
  else {
    lines.push(`failed executions (24 h): ${r.failedExecutions24h.length}${r.failedExecutions24h.length > 10 ? ' (latest 10; --json for all)' : ''}`);
    for (const f of r.failedExecutions24h.slice(0, 10))
      lines.push(
        `  ${f.startDate ?? ''} ${safe(f.key ?? f.name ?? '')} ${c.red(safe(f.error ?? ''))} ${c.dim(safe((f.cause ?? '').replace(/\s+/g, ' ').slice(0, 120)))}`.trimEnd(),
      );
  }
  return lines.join('\n');
}

const FATE_COLOUR: Record<Fate, (s: string) => string> = {
  gold: c.green,
  superseded: c.dim,
  'in-flight': c.cyan,
  quarantine: c.yellow,
  unrouted: c.yellow,
  failed: c.red,
  missing: c.red,
};

/** Lists everything that is not plainly fine (gold, superseded), then the totals. */
export function renderReconcile(r: ReconcileReport): string {
  const lines: string[] = [];
  const notable = r.objects.filter((o) => o.fate !== 'gold' && o.fate !== 'superseded');
  if (notable.length) {
    lines.push(
      table([
        ['fate', 'key', 'landed', 'detail'],
        ...notable.map((o) => [
          FATE_COLOUR[o.fate](o.fate),
          safe(o.key) + (o.versionId ? c.dim(` (${safe(o.versionId)})`) : ''),
          o.landed,
          safe(o.detail ?? ''),
        ]),
      ]),
    );
    lines.push('');
  }
  const t = r.totals;
  const counts = (Object.entries(t) as [Fate, number][]).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  lines.push(`${r.objects.length} landed object version(s)${r.since ? ` since ${r.since}` : ''}${counts.length ? `: ${counts.join(', ')}` : ''}`);
  if (t.missing)
    lines.push(
      c.red(`${t.missing} missing: no manifest and no running execution. Replay them: pipeline replay --dataset <d> --prefix <key> (docs/runbook.md)`),
    );
  if (t.unrouted)
    lines.push(
      c.yellow(
        `${t.unrouted} unrouted: under a dataset prefix but with a suffix no rule matches, so never processed (rename, or add the suffix to the dataset's config)`,
      ),
    );
  return lines.join('\n');
}
