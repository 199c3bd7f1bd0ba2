/** Who may write a non-standard notice: the heuristics read nothing from a sender that looks like a person. */
import libmime from 'libmime';
import { localPartOf, parseAddressList } from '../../message/address';

const FAILURE_SUBJECT =
  /^\s*(undeliverable|undelivered mail|mail delivery failed|delivery status notification|failure notice|returned mail|delivery failure|non[- ]?delivery|delayed mail|warning: message .* delayed|mail system error)/i;
const DAEMON = /^(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|microsoftexchange[0-9a-f]*)$/i;

/** A null Return-Path, a mailer daemon, Auto-Submitted other than "no", or a failure subject. */
export function machineSent(headers: Map<string, string[]>): boolean {
  const first = (name: string): string => headers.get(name)?.[0] ?? '';
  if (/^<\s*>$/.test(first('return-path').trim())) return true;
  const from = first('from');
  const sender = parseAddressList(from)[0]?.address;
  const local = sender === undefined ? '' : localPartOf(sender);
  if (DAEMON.test(local) || /mail delivery (sub)?system/i.test(from)) return true;
  const auto = first('auto-submitted').trim().toLowerCase();
  if (auto !== '' && !auto.startsWith('no')) return true;
  return FAILURE_SUBJECT.test(libmime.decodeWords(first('subject')));
}
