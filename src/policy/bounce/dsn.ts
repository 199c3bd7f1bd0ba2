/**
 * RFC 3464: a message/delivery-status part directly inside a multipart/report. Its text is a
 * per-message block, then one block of fields per recipient.
 */
import type { MimePart } from '../../message/mime-parts';
import { clean, fieldsOf, isPermanent, plainAddress, STATUS } from './fields';
import { MAX_RECIPIENTS, type BounceRecipient } from './types';

const ACTIONS = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);

/** The status part of a report; a status part outside a multipart/report is a member's attachment. */
export function reportPart(parts: MimePart[]): MimePart | undefined {
  return parts.find((p) => p.parentType === 'multipart/report' && /^message\/(global-)?delivery-status$/.test(p.type));
}

export function readDeliveryStatus(text: string): BounceRecipient[] {
  const out: BounceRecipient[] = [];
  for (const block of text.split(/\r?\n[ \t]*\r?\n/)) {
    const f = fieldsOf(block.replace(/^(?:[ \t]*\r?\n)+/, ''));
    if (!['final-recipient', 'original-recipient', 'action', 'status'].some((k) => f.has(k))) continue;
    const action = actionOf(f.get('action'));
    const status = statusOf(f.get('status'));
    out.push({
      address: typedAddress(f.get('final-recipient')) ?? typedAddress(f.get('original-recipient')),
      status,
      action,
      diagnostic: clean(f.get('diagnostic-code')),
      permanent: isPermanent(action, status),
    });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

function actionOf(value: string | undefined): string | null {
  const word =
    value
      ?.trim()
      .split(/[\s;(]/)[0]
      ?.toLowerCase() ?? '';
  return ACTIONS.has(word) ? word : null;
}

function statusOf(value: string | undefined): string | null {
  const m = value === undefined ? null : new RegExp(`^\\s*${STATUS.source}(?![\\d.])`).exec(value);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/** "rfc822; user@example.net" (or utf-8;, or no type, or <angle brackets>) -> the address. */
function typedAddress(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semi = value.indexOf(';');
  return plainAddress(semi >= 0 ? value.slice(semi + 1) : value);
}
