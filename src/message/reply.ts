/**
 * Reading what a person typed in a reply: the first line of their own text, and a keyword command
 * on it. Pure. Which lines are the replier's own is decided by the one reader in own-text.ts
 * (quotes, attribution lines, Outlook's original, signatures and client footers left out).
 */
import { clean, ownLines } from './own-text';

/** The first line of the reply that the replier wrote themselves: not quoted, not an attribution line, not blank, not a signature. Null when there is none. */
export function firstReplyLine(text: string): string | null {
  for (const line of ownLines(text)) {
    if (line !== '') return line.trim();
  }
  return null;
}

/** All the text the replier wrote themselves (see firstReplyLine), paragraphs kept; '' when there is none. */
export function ownReplyText(text: string): string {
  return [...ownLines(text)]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export interface KeywordCommand {
  keyword: string;
  argument: string | null;
}

/** Markdown and punctuation that may stand before a keyword: "*APPROVE*", "**APPROVE**", "- APPROVE", "“APPROVE”". */
const LEADING = /^[\s*_~`#\-–—•"'“”‘’«»([{]+/;
/** What may stick to a keyword's end: "APPROVE.", "APPROVE:", "*APPROVE*", "APPROVE!" (never "?"). */
const KEYWORD = /^([A-Z][A-Z0-9_-]*?)([*_~`.,:;!"'“”‘’»)\]}]*)(?:\s+|$)/;

/**
 * Keywords that take an argument; every other keyword must stand alone on its line, so that a
 * sentence such as "Lift this once the release is out" or "Approve? The alias looks personal"
 * is never read as a command.
 */
export const KEYWORDS_WITH_ARGUMENT: ReadonlySet<string> = new Set(['REJECT', 'ASK', 'EMBARGO', 'RETRO', 'REMOVE']);

/**
 * Reads "KEYWORD argument..." from a line. The keyword is written in capitals, as the mails ask
 * ("approve" or "Lift" in a sentence is talk, not a command), and must be one of `known`; leading
 * markdown such as "*APPROVE*" and a trailing "." or ":" are tolerated, a "?" is not. Keywords
 * outside KEYWORDS_WITH_ARGUMENT must be alone on the line. Argument trimmed, null when empty.
 */
export function readKeyword(line: string | null, known: readonly string[]): KeywordCommand | null {
  if (line === null) return null;
  const text = clean(line).trim();
  const lead = LEADING.exec(text)?.[0] ?? '';
  const rest = text.slice(lead.length);
  const m = KEYWORD.exec(rest);
  if (!m) return null;
  const keyword = m[1] ?? '';
  if (!known.includes(keyword)) return null;
  let argument = rest.slice(m[0].length).trim();
  // "*REJECT not a team alias*": the closing markup of the opening one is not part of the argument.
  const markup = lead.replace(/[^*_~`]/g, '');
  if (markup && argument.endsWith(markup)) argument = argument.slice(0, -markup.length).trim();
  if (argument !== '' && !KEYWORDS_WITH_ARGUMENT.has(keyword)) return null;
  return { keyword, argument: argument === '' ? null : argument };
}
