/**
 * decide: the list's policy at a glance. The first row whose rules all hit gives the outcome;
 * a message no row matches is held for a moderator (fail closed).
 */
import type { Hit } from '../rules/types';

export type Outcome = 'relay' | 'discard' | 'hold';

export interface ChainRow {
  /** Every one of these rules must have hit. */
  when: string[];
  outcome: Outcome;
  /** The short word the log and the moderators see. */
  label: string;
}

export const INBOUND_CHAIN: readonly ChainRow[] = [
  // Our own mail coming back: never relayed again, never answered.
  { when: ['loop'], outcome: 'discard', label: 'loop' },
  // The same post a second time: the members already have it.
  { when: ['duplicate'], outcome: 'discard', label: 'duplicate' },
  // Join requests and commands are not handled yet: a moderator sees them.
  { when: ['to-requests'], outcome: 'hold', label: 'requests-address' },
  { when: ['implicit-destination'], outcome: 'hold', label: 'implicit-destination' },
  { when: ['to-list', 'from-non-member'], outcome: 'hold', label: 'non-member' },
  // A member posting to the list: relayed to every member.
  { when: ['to-list', 'from-member'], outcome: 'relay', label: 'member-post' },
];

export interface Decision { outcome: Outcome; label: string; hits: Hit[] }

export function decide(hits: Hit[], chain: readonly ChainRow[] = INBOUND_CHAIN): Decision {
  const names = new Set(hits.map((h) => h.rule));
  const row = chain.find((r) => r.when.every((w) => names.has(w)));
  return row ? { outcome: row.outcome, label: row.label, hits } : { outcome: 'hold', label: 'no-rule-matched', hits };
}
