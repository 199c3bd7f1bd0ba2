/** Finding our tokens where replies carry them: In-Reply-To, References, and the subject. */
import { TOKEN_PATTERN } from '../store/tokens';
import type { InboundMessage } from './parse';

export function findTokens(msg: Pick<InboundMessage, 'inReplyTo' | 'references' | 'subject'>): string[] {
  const places = [msg.inReplyTo ?? '', ...msg.references, msg.subject];
  const found = new Set<string>();
  for (const text of places) {
    for (const m of text.matchAll(TOKEN_PATTERN)) found.add(m[1]!.toLowerCase());
  }
  return [...found];
}

/** The request number a subject names ("#12"), if it names exactly one. */
export function requestNumberInSubject(subject: string): number | null {
  const all = [...subject.matchAll(/(?:request|anfrage|demande)\s*#(\d{1,9})\b/gi)].map((m) => Number(m[1]));
  const distinct = [...new Set(all)];
  return distinct.length === 1 ? distinct[0]! : null;
}
