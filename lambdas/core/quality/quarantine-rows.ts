import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * A file's quarantine rows (JSON Lines) on their way to the work directory:
 * buffered and written in 64 KB blocks, so memory stays flat however many rows
 * fail, and counted against a byte budget (limits.maxQuarantineBytes) that the
 * kept duplicates share (spend), so the disk stays bounded too: a row's JSON
 * can be many times its CSV (column names on every row, escaping).
 *
 * Once the budget would be passed, the whole lines still fitting are written
 * and `over()` is thrown: the file on disk is always whole lines, in order,
 * within the budget.
 */
export class QuarantineRows {
  private fd: number | undefined;
  private pending = '';
  private pendingLines = 0;
  private bytes = 0;
  /** Lines on disk. */
  linesWritten = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    /** The error thrown once the budget is passed (the stage adds its counts). */
    private readonly over: () => Error,
  ) {}

  /** Whether the file exists (a first block was written). */
  get opened(): boolean {
    return this.linesWritten > 0;
  }

  /** One line, newline included. */
  add(line: string): void {
    this.pending += line;
    this.pendingLines++;
    if (this.pending.length > 65536) this.flush();
  }

  /**
   * Counts bytes about to be written beside this file (kept duplicates); past the budget, what is
   * buffered here is written as far as it fits (rejects come first) and `over()` is thrown.
   */
  spend(bytes: number): void {
    if (this.bytes + bytes <= this.maxBytes) {
      this.bytes += bytes;
      return;
    }
    this.stop();
  }

  /** Writes what is buffered and closes the file (closed however the last block ends). */
  close(): void {
    try {
      if (this.pending) this.flush();
    } finally {
      this.abort();
    }
  }

  /** Closes the file without writing more (the stage failed; never throws). */
  abort(): void {
    this.pending = '';
    this.pendingLines = 0;
    this.fd = closeQuietly(this.fd);
  }

  private flush(): void {
    const n = Buffer.byteLength(this.pending);
    if (this.bytes + n > this.maxBytes) this.stop();
    this.write(this.pending, n, this.pendingLines);
    this.pending = '';
    this.pendingLines = 0;
  }

  /** Writes the buffered lines that still fit, then throws `over()`. */
  private stop(): never {
    let room = this.maxBytes - this.bytes;
    let end = 0;
    let lines = 0;
    // Whole lines, in order, while their UTF-8 bytes fit.
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', end)) {
      const size = Buffer.byteLength(this.pending.slice(end, nl + 1));
      if (size > room) break;
      room -= size;
      end = nl + 1;
      lines++;
    }
    if (end) this.write(this.pending.slice(0, end), this.maxBytes - this.bytes - room, lines);
    this.pending = '';
    this.pendingLines = 0;
    throw this.over();
  }

  private write(text: string, bytes: number, lines: number): void {
    this.fd ??= openSync(this.path, 'w');
    writeSync(this.fd, text);
    this.bytes += bytes;
    this.linesWritten += lines;
  }
}

/** Closes a descriptor on a failure path, where a second error would hide the first; returns undefined. */
export function closeQuietly(fd: number | undefined): undefined {
  if (fd === undefined) return undefined;
  try {
    closeSync(fd);
  } catch {
    // Already closed or the disk is gone: nothing left to release.
  }
  return undefined;
}
