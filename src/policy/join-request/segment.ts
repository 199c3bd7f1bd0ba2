/**
 * Segmenting a membership request: the applicant's own lines, read through the shared reader
 * (message/own-text.ts), and ">"-quoted criteria kept as headings. Pure.
 */
import { readLines, type ReadLine } from '../../message/own-text';

export interface BodyLine {
  text: string;
  /** Leading blanks: an indented "1." is a list inside an answer (html-to-text indents <ol>). */
  indent: number;
  /** 'criterion-quote' lines are a ">"-quoted criterion: a heading, never part of an answer. */
  kind: 'text' | 'criterion-quote';
  /** First line of a quoted criterion paragraph. */
  quoteStart: boolean;
}

/** The text of a line as compared here: NBSP and tabs as spaces, zero-width characters removed. */
function normalize(line: string): string {
  return line.replace(/[\u00a0\t]/g, ' ').replace(/[\u200b\ufeff]/g, '');
}

/**
 * The applicant's own lines, and quoted criteria. Quotes of earlier mail, attributions, signatures,
 * client footers and Outlook's unquoted original are left out. `quotesCriterion(line)` says whether
 * a quoted line quotes a criterion strongly.
 */
export function segmentBody(text: string, quotesCriterion: (line: string) => boolean): BodyLine[] {
  const read = readLines(text);
  const out: BodyLine[] = [];
  let i = 0;
  while (i < read.length) {
    const line = read[i]!;
    if (line.kind === 'quote') {
      let end = i;
      while (end < read.length && read[end]!.kind === 'quote') end++;
      const block = read.slice(i, end).map((l) => normalize(l.text).replace(/^\s*>[ ]?/, ''));
      for (const kept of criterionQuote(block, read, end, quotesCriterion) ?? []) out.push(kept);
      i = end;
      continue;
    }
    if (line.kind === 'own' || line.kind === 'blank') {
      const text = normalize(line.text);
      out.push({
        text: text.trimEnd(),
        indent: text.length - text.trimStart().length,
        kind: 'text',
        quoteStart: false,
      });
    }
    i++;
  }
  return out;
}

/**
 * A ">"-quoted block is the applicant quoting criteria (style of the policy's example) when its
 * last paragraphs each start with a criterion, nothing in it is quoted twice, and the applicant's
 * own text follows it (a heading has its answer beneath). Earlier paragraphs of the block (the
 * question an applicant replies to inline) are context and dropped. Anything else quoted (an
 * earlier mail, a whole earlier request ending in its answers) is not the applicant's and is dropped.
 * Returns the block's lines that are criterion headings (with their continuation), or null.
 */
function criterionQuote(
  block: string[],
  read: ReadLine[],
  end: number,
  quotesCriterion: (line: string) => boolean,
): BodyLine[] | null {
  if (block.some((l) => /^\s*>/.test(l)) || !ownTextFollows(read, end)) return null;
  const paragraphs: number[] = [];
  block.forEach((line, k) => {
    if (line.trim() !== '' && (k === 0 || block[k - 1]!.trim() === '')) paragraphs.push(k);
  });
  let first = paragraphs.length;
  while (first > 0 && quotesCriterion(block[paragraphs[first - 1]!]!)) first--;
  if (first === paragraphs.length) return null;
  const from = paragraphs[first]!;
  const starts = new Set(paragraphs.slice(first));
  return block
    .slice(from)
    .map((text, k) => ({ text, indent: 0, kind: 'criterion-quote', quoteStart: starts.has(from + k) }));
}

/** The next non-blank line is the applicant's own: not quoted, not a signature or earlier mail. */
function ownTextFollows(read: ReadLine[], i: number): boolean {
  let j = i;
  while (j < read.length && j < i + 50 && read[j]!.kind === 'blank') j++;
  return read[j]?.kind === 'own';
}
