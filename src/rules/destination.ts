import type { InboundMessage } from '../message/parse';
import type { Rule, Snapshot } from './types';

/** The address is in To or Cc (compared lower-cased, as the parser stores them). Also the hold's "was it sent to the list". */
export function addressedTo(msg: Pick<InboundMessage, 'to' | 'cc'>, address: string): boolean {
  const a = address.toLowerCase();
  return [...msg.to, ...msg.cc].some((r) => r.address === a);
}

/** The list address is in To or Cc: the sender meant to post to the list. */
export const toList: Rule = {
  name: 'to-list',
  use: 'fact',
  description: 'The list address is named in To or Cc.',
  check(msg, snap) {
    return addressedTo(msg, snap.listAddress) ? `addressed to ${snap.listAddress}` : null;
  },
};

/** The requests address is in To or Cc and the list address is not. */
export const toRequests: Rule = {
  name: 'to-requests',
  use: 'fact',
  description: 'The requests address is named in To or Cc, and the list address is not.',
  check(msg, snap) {
    return addressedTo(msg, snap.requestsAddress) && !addressedTo(msg, snap.listAddress)
      ? `addressed to ${snap.requestsAddress}`
      : null;
  },
};

/**
 * Neither list address is named: Bcc'd, or delivered to us by some alias. Mailman holds such
 * "implicit destination" mail, since spam and misdirected mail look exactly like this.
 */
export const implicitDestination: Rule = {
  name: 'implicit-destination',
  use: 'reason',
  description: 'Neither the list address nor the requests address is named in To or Cc.',
  check(msg, snap: Snapshot) {
    return !addressedTo(msg, snap.listAddress) && !addressedTo(msg, snap.requestsAddress)
      ? 'neither the list address nor the requests address is in To or Cc'
      : null;
  },
};
