/** Answers: the lines from a heading to the next, with the closing and signature cut, tidied. Pure. */
import type { Heading } from './headings';
import type { BodyLine } from './segment';

export function collectAnswers(
  lines: BodyLine[],
  headings: Array<Heading & { line: number }>,
  fromName: string,
): Record<string, string> {
  const answers: Record<string, string> = {};
  headings.forEach((h, k) => {
    const stop = headings[k + 1]?.line ?? lines.length;
    // A quoted criterion is all heading; a line of ours may carry the answer after the criterion.
    const inline = lines[h.line]!.kind === 'text' ? h.inline : '';
    const body: string[] = inline === '' ? [] : [inline];
    for (let j = h.line + 1 + h.consumed; j < stop; j++) {
      if (lines[j]!.kind === 'text') body.push(lines[j]!.text);
    }
    const text = formatAnswer(cutClosing(body, fromName));
    if (text !== '') answers[String(h.criterion + 1)] = text;
  });
  return answers;
}

/** "Best regards," "Thanks!" "Cheers", "Mit freundlichen Grüßen", "Cordialement" alone on a line. */
function isValediction(line: string): boolean {
  const s = line.trim();
  if (s.length > 40) return false;
  return (
    /^(?:(?:best|kind|kindest|warm|warmest|many|with|sincere)\s+)?(?:regards|wishes|thanks|thank you|thanks a lot|thanks in advance|thank you in advance|cheers|sincerely|yours|yours truly|greetings|br|rgds|thx)\s*[,.!-]*$/i.test(
      s,
    ) ||
    /^(?:mit freundlichen grüßen|mit freundlichen gruessen|viele grüße|beste grüße|cordialement|bien à vous|bien cordialement|saludos|un saludo|atentamente|met vriendelijke groet|distinti saluti|cordiali saluti)\s*[,.!-]*$/i.test(
      s,
    )
  );
}

/**
 * The sender's name, or part of it, alone on a line: the start of a signature. "Okafor, Chidi"
 * signs "Chidi Okafor" or "Chidi".
 */
function isNameLine(line: string, fromName: string): boolean {
  const nameWords = new Set(
    fromName
      .toLowerCase()
      .split(/[\s,]+/)
      .filter((w) => w.length >= 2),
  );
  const words = line
    .trim()
    .toLowerCase()
    .replace(/[,.]$/, '')
    .split(/\s+/)
    .filter((w) => w !== '');
  return nameWords.size > 0 && words.length > 0 && words.length <= 4 && words.every((w) => nameWords.has(w));
}

/**
 * A closing and signature at the end of an answer ("Best regards,\nName\nTitle", or the sender's
 * name alone): cut when at most a few short lines follow it.
 */
function cutClosing(lines: string[], fromName: string): string[] {
  // Only the lines followed by at most six non-blank lines can start a closing.
  let from = lines.length;
  for (let seen = 0; from > 0 && seen < 7; from--) if (lines[from - 1]!.trim() !== '') seen++;
  for (let i = from; i < lines.length; i++) {
    if (!isValediction(lines[i]!) && !isNameLine(lines[i]!, fromName)) continue;
    if (lines.slice(i + 1).every((l) => l.trim().length <= 100)) return lines.slice(0, i);
  }
  return lines;
}

/** A line that starts a list item: kept on its own line when a paragraph is unwrapped. */
function isListItem(line: string): boolean {
  return /^(?:[-*•+]\s|\(?\d{1,2}[.)]\s)/.test(line);
}

/**
 * Paragraphs unwrapped into one line each (list items kept on their own lines), blanks collapsed,
 * paragraphs separated by one blank line. GitHub's "_No response_" is no answer.
 */
function formatAnswer(lines: string[]): string {
  const paragraphs: string[] = [];
  let current = '';
  const flush = (): void => {
    const p = current.trim();
    if (p !== '' && !/^_?no response_?$/i.test(p)) paragraphs.push(p);
    current = '';
  };
  for (const raw of lines) {
    const line = raw.trim().replace(/[ ]{2,}/g, ' ');
    if (line === '') {
      flush();
      continue;
    }
    current = current === '' ? line : `${current}${isListItem(line) ? '\n' : ' '}${line}`;
  }
  flush();
  return paragraphs.join('\n\n');
}
