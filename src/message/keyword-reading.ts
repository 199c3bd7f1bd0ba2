/**
 * Which keyword a mail carries, read from what its reader sees. Pure. The text/plain body decides
 * when there is one; an HTML alternative is read too (as a reader sees it, see visible-text.ts),
 * and when the two do not say the same command, neither counts: a client shows one of them and
 * we cannot know which.
 */
import type { InboundMessage } from './parse';
import { firstReplyLine, KEYWORDS_WITH_ARGUMENT, readKeyword, type KeywordCommand } from './reply';

export interface KeywordReading {
  /** The first line the sender wrote (of the text/plain body when there is one). */
  firstLine: string | null;
  /** The command to act on; null when there is none or when the alternatives disagree. */
  keyword: KeywordCommand | null;
  /** Why the text/plain and HTML alternatives disagree, or null when they agree. */
  disagreement: string | null;
}

/**
 * A text/plain line at least this long may have been wrapped by the client (Gmail hard-wraps its
 * plain part at 78 columns) while the HTML keeps the sentence on one line.
 */
const WRAPPED_LINE = 60;
/** Arguments that must match exactly: a date cut short is another date. */
const EXACT_ARGUMENT = new Set(['EMBARGO', 'RETRO']);

/** A link's address that a client writes after the link's text in its plain part ("policy <https://...>"); the HTML shows only the text. */
const LINK_ADDRESS = /\s*<(?:https?|mailto|ftp):[^<>\s]*>/gi;

function words(argument: string | null): string {
  return (argument ?? '')
    .replace(LINK_ADDRESS, ' ')
    .replace(/[*_~`]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function describe(command: KeywordCommand | null): string {
  if (command === null) return 'no keyword';
  return command.argument === null ? command.keyword : `${command.keyword} ${command.argument}`;
}

/** Do the two readings give the same command? A wrapped plain line may stop where the HTML's goes on. */
function agree(plain: KeywordCommand | null, plainLine: string | null, html: KeywordCommand | null): boolean {
  if (plain === null || html === null) return plain === html;
  if (plain.keyword !== html.keyword) return false;
  const [p, h] = [words(plain.argument), words(html.argument)];
  if (p === h) return true;
  const wrapped =
    (plainLine ?? '').length >= WRAPPED_LINE &&
    p !== '' &&
    KEYWORDS_WITH_ARGUMENT.has(plain.keyword) &&
    !EXACT_ARGUMENT.has(plain.keyword);
  return wrapped && h.startsWith(`${p} `);
}

export function readKeywords(
  msg: Pick<InboundMessage, 'text' | 'hasPlainText' | 'htmlText'>,
  known: readonly string[],
): KeywordReading {
  const firstLine = firstReplyLine(msg.text);
  const keyword = readKeyword(firstLine, known);
  if (!msg.hasPlainText || msg.htmlText === null) return { firstLine, keyword, disagreement: null };
  const html = readKeyword(firstReplyLine(msg.htmlText), known);
  if (agree(keyword, firstLine, html)) return { firstLine, keyword, disagreement: null };
  return {
    firstLine,
    keyword: null,
    disagreement: `the text/plain part reads ${describe(keyword)} and the HTML part, as a reader sees it, reads ${describe(html)}`,
  };
}
