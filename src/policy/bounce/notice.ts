/**
 * The non-standard notices: the notice's own text (its first text/plain part, up to where the
 * returned copy begins), read by the first detector that knows its wording and finds someone;
 * else the X-Failed-Recipients header.
 */
import type { MimePart } from '../../message/mime-parts';
import { exim } from './exim';
import { readFailedRecipientsHeader } from './failed-recipients-header';
import { clean, isPermanent, statusIn } from './fields';
import { gmail } from './gmail';
import { microsoft } from './microsoft';
import { postfix } from './postfix';
import { qmail } from './qmail';
import type { BounceRecipient, Found, NoticeDetector } from './types';

/** In this order: the first that detects its wording and finds a recipient wins. */
export const DETECTORS: readonly NoticeDetector[] = [qmail, exim, postfix, gmail, microsoft];

const MAX_SCAN = 256 * 1024;
const COPY_MARKERS = [
  /^-{2,}\s*This is a copy of the message/im, // Exim
  /^-{2,}\s*The (?:headers|body) of the message/im, // Exim
  /^-{2,}\s*Below this line is a copy of the message/im, // qmail
  /^-{2,}\s*Original message/im,
  /^Original message headers:/im, // Microsoft
  /^-{2,}\s*Forwarded message/im,
];

/** The notice's own text: the first text/plain part outside any returned message, up to the copy. */
export function noticeText(parts: MimePart[], fallback: string): string {
  const part = parts.find((p) => p.type === 'text/plain' && !p.attachment);
  let text = (part?.text ?? fallback).replace(/\r\n?/g, '\n').slice(0, MAX_SCAN);
  for (const marker of COPY_MARKERS) {
    const m = marker.exec(text);
    if (m) text = text.slice(0, m.index);
  }
  return text;
}

export function readNotice(text: string, headers: Map<string, string[]>): BounceRecipient[] {
  let found: Found[] = [];
  for (const detector of DETECTORS) {
    if (!detector.detect.test(text)) continue;
    found = detector.read(text);
    if (found.length > 0) break;
  }
  if (found.length === 0) found = readFailedRecipientsHeader(headers);
  const seen = new Set<string>();
  const out: BounceRecipient[] = [];
  for (const f of found) {
    if (seen.has(f.address)) continue;
    seen.add(f.address);
    const diagnostic = clean(f.diagnostic ?? undefined);
    const action = f.delayed ? 'delayed' : 'failed';
    out.push({
      address: f.address,
      status: statusIn(diagnostic),
      action,
      diagnostic,
      permanent: isPermanent(action, null),
    });
  }
  return out;
}
