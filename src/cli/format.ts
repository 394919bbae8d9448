/** Terminal formatting without a dependency; honours NO_COLOR and non-TTY output. */
const enabled = process.stdout.isTTY && !process.env.NO_COLOR;
const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export const c = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').replace(/\u001b\[\d+m/g, '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell + ' '.repeat(widths[i] - cell.replace(/\u001b\[\d+m/g, '').length))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function ms(n: number): string {
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`;
}

/**
 * Data-derived text made safe for a terminal: control characters (C0, DEL,
 * C1: escape sequences, carriage returns) and bidirectional overrides are
 * shown as \u escapes instead of acting on the screen.
 */
export function safe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The n largest counts of a record as `key ×count`, largest first (keys made safe). */
export function topCounts(counts: Record<string, number>, n: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${safe(k)} ×${v}`)
    .join(', ');
}
