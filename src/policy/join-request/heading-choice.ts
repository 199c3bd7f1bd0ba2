/**
 * Choosing the headings that count among the candidate lines, and taking a wrapped criterion
 * quote's continuation lines into its heading. Pure.
 */
import { matchCriterion } from './criteria-match';
import { answerAfter, classifyLine, NOTHING, type Heading, type LineInfo } from './headings';
import type { BodyLine } from './segment';
import { MAX_MATCH_TOKENS, tokenize, type Criterion } from './words';

/**
 * Which candidate headings count. A line that quotes a criterion always does (the first one per
 * criterion); a line that only carries a number does when no quoted heading claims that
 * criterion and its numbered list looks like the answers, not a list inside an answer: a list
 * that runs past the last criterion ("20 numbered lines"), or restarts at a number already
 * answered above it, is part of an answer.
 */
export function findHeadings(lines: BodyLine[], criteria: Criterion[]): Array<Heading & { line: number }> {
  const infos = lines.map((l): LineInfo => {
    if (l.kind === 'criterion-quote') return l.quoteStart ? classifyLine(l.text, criteria, true) : NOTHING;
    return classifyLine(l.text, criteria, false);
  });
  const claimed = new Map<number, number>();
  infos.forEach((info, i) => {
    if (info.heading?.strong && !claimed.has(info.heading.criterion)) claimed.set(info.heading.criterion, i);
  });

  const runs = listRuns(infos, lines);
  const rejected = new Set<ListRun>();
  infos.forEach((info, i) => {
    const run = runs.get(i);
    if (run && run.firstLine === i && !run.hasStrong) {
      const firstClaim = claimed.get(run.firstNumber - 1);
      if (run.maxNumber > criteria.length || run.firstNumber < 1 || (firstClaim !== undefined && firstClaim < i))
        rejected.add(run);
    }
    const h = info.heading;
    if (!h || h.strong || claimed.has(h.criterion) || (run && rejected.has(run))) return;
    claimed.set(h.criterion, i);
  });

  const accepted = [...claimed.entries()]
    .map(([, line]) => ({ ...infos[line]!.heading!, line }))
    .sort((a, b) => a.line - b.line);
  for (const h of accepted) absorbWrappedCriterion(h, lines, infos, criteria);
  return accepted;
}

interface ListRun {
  firstLine: number;
  firstNumber: number;
  last: number;
  maxNumber: number;
  hasStrong: boolean;
}

/**
 * Numbered lines grouped into lists: the next number in the same marker style and indentation
 * continues a list, anything else starts one.
 */
function listRuns(infos: LineInfo[], lines: BodyLine[]): Map<number, ListRun> {
  const byLine = new Map<number, ListRun>();
  const current = new Map<string, ListRun>();
  infos.forEach((info, i) => {
    if (!info.list) return;
    const key = `${info.list.style}|${lines[i]!.indent > 0 ? 'indented' : 'flush'}`;
    let run = current.get(key);
    if (!run || run.last + 1 !== info.list.number) {
      run = {
        firstLine: i,
        firstNumber: info.list.number,
        last: info.list.number,
        maxNumber: info.list.number,
        hasStrong: false,
      };
      current.set(key, run);
    }
    run.last = info.list.number;
    run.maxNumber = Math.max(run.maxNumber, info.list.number);
    if (info.heading?.strong) run.hasStrong = true;
    byLine.set(i, run);
  });
  return byLine;
}

/**
 * A criterion quoted in full is often wrapped: "... This cannot be a personal" / "email address,
 * it must be ...". Following lines that go on with the criterion's words belong to the heading.
 */
function absorbWrappedCriterion(
  h: Heading & { line: number },
  lines: BodyLine[],
  infos: LineInfo[],
  criteria: Criterion[],
): void {
  const c = criteria[h.criterion]!;
  let m = h.match;
  if (!m || h.inline !== '' || lines[h.line]!.kind !== 'text') return;
  let text = h.headingText;
  while (h.consumed < 3 && m.lcs < c.words.length) {
    const idx = h.line + 1 + h.consumed;
    const next = lines[idx];
    if (!next || next.kind !== 'text' || next.text.trim() === '' || infos[idx]!.list || infos[idx]!.heading) return;
    const combined = `${text}\n${next.text.trim()}`;
    const tokens = tokenize(combined, MAX_MATCH_TOKENS);
    const m2 = matchCriterion(tokens, c);
    const endToken = tokens[m2.end];
    if (m2.lcs <= m.lcs || !endToken || endToken.start < text.length) return;
    const added = tokens.filter((t) => t.start > text.length && t.start <= endToken.start).length;
    if ((m2.lcs - m.lcs) / added < 0.7) return;
    h.consumed++;
    text = combined.slice(0, endToken.end);
    h.inline = answerAfter(combined, endToken.end, m2, c);
    m = m2;
    if (h.inline !== '') return;
  }
}
