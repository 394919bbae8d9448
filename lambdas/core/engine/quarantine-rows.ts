import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * A file's quarantine rows (JSON Lines) on their way to the work directory:
 * buffered and written in 64 KB blocks, so memory stays flat however many rows
 * fail, and counted against a byte budget (limits.maxQuarantineBytes) that the
 * kept duplicates share (spend), so the disk stays bounded too: a row's JSON
 * can be many times its CSV (column names on every row, escaping).
 */
export class QuarantineRows {
  private fd: number | undefined;
  private pending = '';
  private bytes = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    /** The error thrown once the budget is passed (the stage adds its counts). */
    private readonly over: () => Error,
  ) {}

  add(line: string): void {
    this.pending += line;
    if (this.pending.length > 65536) this.flush();
  }

  /** Counts bytes about to be written here or beside (duplicates); throws `over()` past the budget, before they are. */
  spend(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes <= this.maxBytes) return;
    this.pending = '';
    throw this.over();
  }

  /** Writes what is buffered and closes the file (closed even when that block passes the budget). */
  close(): void {
    try {
      if (this.pending) this.flush();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private flush(): void {
    this.spend(Buffer.byteLength(this.pending));
    this.fd ??= openSync(this.path, 'w');
    writeSync(this.fd, this.pending);
    this.pending = '';
  }
}
