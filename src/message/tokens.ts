/**
 * Our tokens as they travel: their format, what each is for, finding them where replies carry
 * them (In-Reply-To, References, the subject), and keeping them out of text others wrote. Issuing
 * and looking them up is store/tokens.
 */
import type { InboundMessage } from './parse';

/** What a token was issued for (the tokens.purpose column). */
export type TokenPurpose =
  | 'moderate'
  | 'applicant'
  | 'confirm'
  | 'unsubscribe'
  | 'remove'
  | 'thread'
  | 'send'
  | 'leak'
  | 'held'
  | 'probe'
  | 'key';

/**
 * Tokens that may be read from a reply's text as well: a key confirmation's token travels only
 * inside the mail encrypted to that key (never in a Message-ID), so the reply carries it in its
 * subject (a client that shows protected headers) or quoted in its text.
 */
export const TEXT_PURPOSES: readonly TokenPurpose[] = ['key'];

/** Tokens of mails we send the moderators: a reply carrying one is a moderator command. */
export const MODERATOR_PURPOSES: readonly TokenPurpose[] = ['moderate', 'remove', 'thread', 'send', 'leak', 'held'];

/** The 32 characters of a token: base32, lower case (RFC 4648 alphabet). */
export const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** What a token looks like where it travels: tk- then 26 base32 characters. */
export const TOKEN_PATTERN = /\btk-([a-z2-7]{26})\b/gi;

export function findTokens(msg: Pick<InboundMessage, 'inReplyTo' | 'references' | 'subject'>): string[] {
  const places = [msg.inReplyTo ?? '', ...msg.references, msg.subject];
  const found = new Set<string>();
  for (const text of places) {
    for (const m of text.matchAll(TOKEN_PATTERN)) found.add(m[1]!.toLowerCase());
  }
  return [...found];
}

/** Tokens in the first 64 KiB of a text (see TEXT_PURPOSES: only some purposes count there). */
export function findTokensInText(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.slice(0, 65_536).matchAll(TOKEN_PATTERN)) found.add(m[1]!.toLowerCase());
  return [...found];
}

/** Characters no reader shows (zero-width, bidi controls, soft hyphen, variation selectors, tags). */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** "tk", any dash, then 26 base32 characters or more: the start of anything a reader could take for our token. */
const TOKEN_START = /(t)(k)[\p{Pd}\u2212\uFE63\uFF0D](?=[a-z2-7]{26})/giu;
/** The opening of an RFC 2047 encoded word, which a reader of our header would decode. */
const ENCODED_WORD_START = /=\?/g;

/**
 * Text someone else wrote, made safe to put in a header or subject of ours: it can no longer carry
 * text a reader (or findTokens on the reply) would take for one of our tokens. Unicode is folded
 * (NFKC, so a full-width "ｔｋ－" is "tk-"), invisible characters are dropped (so "tk-\u200b..." and
 * "t\u200bk-..." are seen for what they are), every "tk" followed by a dash and 26 base32
 * characters or more becomes "tk_", in any case, and "=?" becomes "= ?" so that no encoded word
 * ("=?utf-8?q?tk=2D...?=") can hide one from this check and be decoded by the reader afterwards.
 * Ordinary text is unchanged. Idempotent.
 */
export function defangTokens(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(TOKEN_START, '$1$2_').replace(ENCODED_WORD_START, '= ?');
}

/** The request number a subject names ("#12"), if it names exactly one. */
export function requestNumberInSubject(subject: string): number | null {
  const all = [...subject.matchAll(/(?:request|anfrage|demande)\s*#(\d{1,9})\b/gi)].map((m) => Number(m[1]));
  const distinct = [...new Set(all)];
  return distinct.length === 1 ? distinct[0]! : null;
}
