/**
 * Leak reports (policy: "inform the mailing list by replying to the initial disclosure email ...
 * specify exactly what information leaked and to whom"). Pure text rules, no I/O. The text read is
 * the sender's own, as message/own-text.ts reads it (callers pass ownReplyText).
 */
import { isQuoted } from '../message/own-text';

/** leakedBy: each "Leaked by:" value as written (a report about someone else); empty: the reporter's own leak. */
export interface LeakReport {
  what: string | null;
  toWhom: string | null;
  leakedBy: string[];
  text: string;
}

/** One reply prefix ("Re:", "AW:", "Fwd:", "Re[2]:") or one bracketed tag ("[EMBARGOED until ...]", "[#12]"). */
const SUBJECT_PREFIX =
  /\s*(?:(?:re|aw|fwd?|fw|wg|sv|vs|antw|tr|rif|odp|ynt)\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*:|\[[^\]\r\n]{0,300}\])/iy;
/** The word LEAK and what may follow it: end, space, punctuation, a dash after a space ("LEAK -"). */
/** LEAK in capitals, as the footer asks: "Leak of service tokens in X" is a subject, not a report. */
const LEAK_WORD = /^[*_]{0,3}LEAK(?=$|[\s:!,.;)*_—–])/;

/** The subject after its prefixes and tags, and whether one of the tags is itself "[LEAK ...]". */
function withoutPrefixes(subject: string): { rest: string; leakTag: boolean } {
  let at = 0;
  let leakTag = false;
  for (;;) {
    SUBJECT_PREFIX.lastIndex = at;
    const m = SUBJECT_PREFIX.exec(subject);
    if (!m) return { rest: subject.slice(at), leakTag };
    const tag = /^\s*\[(.*)\]$/s.exec(m[0]);
    if (tag && LEAK_WORD.test(tag[1]!.trim())) leakTag = true;
    at = SUBJECT_PREFIX.lastIndex;
  }
}

/**
 * Is this a leak report? The subject (after reply prefixes and bracketed list tags) or the first line
 * the sender wrote starts with the word LEAK, in any case: "LEAK: ...", "LEAK - ...", "Leak report ...";
 * a tag of its own ("[LEAK] ...") counts too.
 * "leaky", "leakage" and "leak-check" do not count. Heuristic: "Leak of file descriptors in X" counts too.
 */
export function isLeakReport(subject: string, firstLine: string | null): boolean {
  const { rest, leakTag } = withoutPrefixes(subject);
  if (leakTag || LEAK_WORD.test(rest.trimStart())) return true;
  if (firstLine === null) return false;
  return LEAK_WORD.test(firstLine.replace(/^\s*(?:[-*+•]\s+)?/, ''));
}

const BULLET = /^\s*(?:[-*+•]\s+)?[*_]{0,3}\s*/;
const FIELD =
  /^(what(?:\s+(?:was\s+)?leaked)?|to\s+whom|who|recipients?|recipient\(s\)|leaked\s+to|leaked\s+by|who\s+leaked(?:\s+it)?|leaker|leaking\s+(?:member|alias|organi[sz]ation))[*_]{0,3}\s*:[*_]{0,3}\s*(.*)$/i;
/** The labels of the leaker (who leaked, when not the reporter); the rest of FIELD names what or to whom. */
const LEAKER_LABEL = /^(?:leaked\s+by|who\s+leaked|leaker|leaking)/i;
/** Any other "Label: value" line ends a value ("When: ...", "Impact: ..."); "https://..." is no label. */
const OTHER_LABEL = /^[A-Za-z][A-Za-z ()'/-]{0,30}[*_]{0,3}\s*:(?:\s|$)/;

const clean = (s: string): string =>
  s
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]+/g, ' ')
    .replace(/[*_]{2,3}\s*$/, '')
    .trim();

/**
 * Reads "What: ..." and "To whom: ..." (also "Who:", "Recipient:", "Recipients:", "Recipient(s):",
 * "Leaked to:", "What leaked:"), in any case, with Markdown bold or a bullet. A value goes on over
 * the following lines (indented or not) until a blank line, a quoted line or another "Label:" line;
 * its lines are joined with "\n". A label given twice gives both values. Missing fields are null.
 * "Leaked by:" (also "Who leaked:", "Leaker:", "Leaking member:", "Leaking organization:") names
 * who leaked when it was not the reporter: each such label gives one entry of leakedBy, its
 * following lines joined to it with a space.
 */
export function parseLeakReport(ownText: string): LeakReport {
  const values: Record<'what' | 'toWhom', string[]> = { what: [], toWhom: [] };
  const leakedBy: string[][] = [];
  let current: 'what' | 'toWhom' | 'leakedBy' | null = null;
  for (const raw of ownText.split(/\r\n|\r|\n/)) {
    if (raw.trim() === '' || isQuoted(raw)) {
      current = null;
      continue;
    }
    const body = raw.replace(BULLET, '');
    const field = FIELD.exec(body);
    if (field) {
      current = LEAKER_LABEL.test(field[1]!) ? 'leakedBy' : /^(?:what)/i.test(field[1]!) ? 'what' : 'toWhom';
      const first = clean(field[2] ?? '');
      if (current === 'leakedBy') leakedBy.push([first]);
      else if (first !== '') values[current].push(first);
    } else if (OTHER_LABEL.test(body)) {
      current = null;
    } else if (current === 'leakedBy') {
      leakedBy[leakedBy.length - 1]!.push(clean(raw));
    } else if (current) {
      const more = clean(raw);
      if (more !== '') values[current].push(more);
    }
  }
  const joined = (v: string[]): string | null => (v.length === 0 ? null : v.join('\n'));
  return {
    what: joined(values.what),
    toWhom: joined(values.toWhom),
    leakedBy: leakedBy.map((parts) => parts.filter((p) => p !== '').join(' ')).filter((v) => v !== ''),
    text: ownText.replace(/\r\n?/g, '\n').trim(),
  };
}

/** "[#12]", "#12"; not "request #12", "PR #12", "issue #12", "C#12" nor "&#12;". */
const HASH_NUMBER =
  /(?<!\b(?:request|anfrage|demande|pr|pull request|merge request|mr|issue|bug|ticket|case)\s*)(?<![\w&#])#0*(\d{1,9})(?!\d)/gi;
/** "disclosure 12", "thread 12", "disclosure #12", "thread no. 12"; not "disclosure 2026-12-03" nor "disclosure 90 days". */
const WORD_NUMBER =
  /\b(?:disclosure|thread)\s*(?:#|no\.?|number)?\s*0*(\d{1,9})(?!\d|[-/:.,]\d|\s*(?:days?|weeks?|months?|years?|hours?|minutes?)\b)/gi;

/** The thread number a subject or text names, or null when it names none or several different ones. */
export function threadNumberIn(text: string): number | null {
  const found = new Set<number>();
  for (const re of [HASH_NUMBER, WORD_NUMBER]) {
    for (const m of text.matchAll(re)) {
      const n = Number(m[1]);
      if (n > 0) found.add(n);
    }
  }
  return found.size === 1 ? [...found][0]! : null;
}
