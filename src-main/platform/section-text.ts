/**
 * Dusty's section of a system text file (/etc/hosts, /etc/exports): pure
 * text in, text out. Everything outside the markers is kept byte for byte,
 * and a file whose markers do not pair up cleanly is refused rather than
 * guessed at, because a wrong guess deletes somebody's own lines.
 */
import { SECTION_BEGIN, SECTION_END } from '../../src-shared/helper-protocol.js';

/** The file's markers do not form exactly zero or one well-formed section. */
export class SectionError extends Error {
  override name = 'SectionError';
}

interface Line {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the content (before any line terminator). */
  contentEnd: number;
  /** Offset just past the terminator (equals contentEnd on a last line without one). */
  end: number;
  content: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    let contentEnd = nl < 0 ? text.length : nl;
    if (contentEnd > start && text[contentEnd - 1] === '\r') contentEnd -= 1;
    lines.push({ start, contentEnd, end, content: text.slice(start, contentEnd) });
    start = end;
  }
  return lines;
}

interface Span {
  begin: Line;
  end: Line;
  beginIndex: number;
  endIndex: number;
}

/** Finds the single section, or null; throws SectionError on anything ambiguous. */
function findSection(text: string): { lines: Line[]; span: Span | null } {
  const lines = splitLines(text);
  const begins: number[] = [];
  const ends: number[] = [];
  lines.forEach((line, i) => {
    // Markers are recognised with surrounding whitespace, as an editor may leave it.
    const trimmed = line.content.trim();
    if (trimmed === SECTION_BEGIN) begins.push(i);
    else if (trimmed === SECTION_END) ends.push(i);
  });
  const where = (list: number[]) => list.map((i) => i + 1).join(', ');
  if (begins.length === 0 && ends.length === 0) return { lines, span: null };
  if (begins.length > 1) {
    throw new SectionError(`more than one "${SECTION_BEGIN}" line (lines ${where(begins)})`);
  }
  if (ends.length > 1) {
    throw new SectionError(`more than one "${SECTION_END}" line (lines ${where(ends)})`);
  }
  const beginIndex = begins[0];
  const endIndex = ends[0];
  if (beginIndex === undefined) {
    throw new SectionError(`"${SECTION_END}" (line ${where(ends)}) without "${SECTION_BEGIN}"`);
  }
  if (endIndex === undefined) {
    throw new SectionError(`"${SECTION_BEGIN}" (line ${where(begins)}) without "${SECTION_END}"`);
  }
  if (endIndex < beginIndex) {
    throw new SectionError(
      `"${SECTION_END}" (line ${endIndex + 1}) comes before "${SECTION_BEGIN}"`,
    );
  }
  const begin = lines[beginIndex];
  const end = lines[endIndex];
  if (!begin || !end) throw new SectionError('internal: marker line out of range');
  return { lines, span: { begin, end, beginIndex, endIndex } };
}

/** The 1-based numbers of the section's lines, markers included; empty without one. */
export function sectionLineNumbers(text: string): Set<number> {
  const { span } = findSection(text);
  const numbers = new Set<number>();
  if (span) for (let i = span.beginIndex; i <= span.endIndex; i += 1) numbers.add(i + 1);
  return numbers;
}

/**
 * The lines inside Dusty's section, without terminators; empty when the file
 * has no section. Throws SectionError when the markers are garbled.
 */
export function readSection(text: string): string[] {
  const { lines, span } = findSection(text);
  if (!span) return [];
  return lines.slice(span.beginIndex + 1, span.endIndex).map((line) => line.content);
}

function eolOf(text: string, line?: Line): string {
  if (line && line.end > line.contentEnd) return text.slice(line.contentEnd, line.end);
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * Returns `text` with Dusty's section holding exactly `lines` (appended at the
 * end when there was none; removed, markers too, when `lines` is empty).
 * Bytes outside the section are kept as they were, the section uses the
 * file's own line endings, and apply-then-remove gives back the original,
 * even for a file without a final newline. Throws SectionError on garbled
 * markers and Error on a line that would break out of the section.
 */
export function replaceSection(text: string, lines: string[]): string {
  for (const line of lines) {
    if (/[\r\n]/.test(line)) throw new Error('a section line contains a line break');
    const trimmed = line.trim();
    if (trimmed === SECTION_BEGIN || trimmed === SECTION_END) {
      throw new Error('a section line is a section marker');
    }
  }
  const { span } = findSection(text);
  if (!span) {
    if (lines.length === 0) return text;
    const eol = eolOf(text);
    const body = [SECTION_BEGIN, ...lines, SECTION_END];
    if (text.length === 0 || text.endsWith('\n')) return text + body.join(eol) + eol;
    // No final newline: put ours before the section and leave the section
    // without one, so removing it later restores the original bytes.
    return text + eol + body.join(eol);
  }
  const before = text.slice(0, span.begin.start);
  const after = text.slice(span.end.end);
  const endTerminator = text.slice(span.end.contentEnd, span.end.end);
  if (lines.length === 0) {
    if (endTerminator === '' && after === '') {
      // The section closed the file without a newline: drop the line break
      // replaceSection put before it too, exactly that one (the section's
      // own), so a last line ending in a bare \r keeps its \r.
      const added = eolOf(text, span.begin);
      return before.endsWith(added) ? before.slice(0, -added.length) : before;
    }
    return before + after;
  }
  const eol = eolOf(text, span.begin);
  const beginLine = text.slice(span.begin.start, span.begin.contentEnd);
  const endLine = text.slice(span.end.start, span.end.contentEnd);
  return before + [beginLine, ...lines, endLine].join(eol) + endTerminator + after;
}
