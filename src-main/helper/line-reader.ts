/**
 * Cuts a byte stream into request lines, refusing any line longer than a
 * bound before it is held in memory whole.
 */

/** What one chunk gave: the complete lines in it, or that a line was too long. */
export interface LineChunk {
  lines: Buffer[];
  /** A line passed the bound; the lines before it are still in `lines`. */
  tooLong: boolean;
}

/** Splits on `\n`; holds at most `maxBytes` of an unfinished line. */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(readonly maxBytes: number) {}

  /** Feeds one chunk. After `tooLong` the reader is spent: the connection should end. */
  push(chunk: Buffer): LineChunk {
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(0x0a, start);
    while (nl >= 0) {
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxBytes) return this.overflow(lines);
      lines.push(
        this.parts.length === 0 ? Buffer.from(piece) : Buffer.concat([...this.parts, piece]),
      );
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    const rest = chunk.subarray(start);
    if (this.size + rest.length > this.maxBytes) return this.overflow(lines);
    if (rest.length > 0) {
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return { lines, tooLong: false };
  }

  private overflow(lines: Buffer[]): LineChunk {
    this.parts = [];
    this.size = 0;
    return { lines, tooLong: true };
  }
}
