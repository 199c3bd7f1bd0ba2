/**
 * Bounces: a delivery status notification (RFC 3464) or one of the common non-standard failure
 * notices becomes a list of failed recipients, and the VERP envelope sender says which member a
 * bounce is about. Pure and synchronous, on the parts mailparser's splitter found
 * (InboundMessage.parts); deciding what a bounce means (is it authentic, does it count) is the
 * caller's business. One detector per file, as flufl.bounce has them.
 *
 * Reading order: a message/delivery-status part inside a multipart/report is read first and is
 * authoritative. Without one, the wording of the common MTAs is read, but only from a sender that
 * looks like a machine (null Return-Path, MAILER-DAEMON, Auto-Submitted, a failure subject), so
 * that a member quoting a bounce in a post is never taken for one.
 */
import { readDeliveryStatus, reportPart } from './dsn';
import { machineSent } from './machine-sent';
import { noticeText, readNotice } from './notice';
import { MAX_RECIPIENTS, type BounceInput, type ParsedBounce } from './types';
import { findVerpToken } from './verp';

export { MAX_RECIPIENTS, type BounceInput, type BounceRecipient, type ParsedBounce } from './types';
export { verpAddress, verpTokenOf } from './verp';

export function parseBounce(input: BounceInput): ParsedBounce | null {
  const verpToken = findVerpToken(input);
  const report = reportPart(input.parts);
  if (report) {
    const recipients = readDeliveryStatus(report.text ?? '');
    if (recipients.length > 0) return { kind: 'dsn', recipients, verpToken };
  }
  const heuristic = machineSent(input.headers) ? readNotice(noticeText(input.parts, input.text), input.headers) : [];
  if (heuristic.length > 0) return { kind: 'heuristic', recipients: heuristic.slice(0, MAX_RECIPIENTS), verpToken };
  // A report whose status part cannot be read is still a report: the VERP token may say who.
  return report ? { kind: 'dsn', recipients: [], verpToken } : null;
}
