import type { InboundMessage } from '../message/parse';
import { duplicate } from './duplicate';
import { implicitDestination, toList, toRequests } from './destination';
import { loop } from './loop';
import { fromMember, fromNonMember } from './membership';
import type { Hit, Rule, Snapshot } from './types';

export const RULES: readonly Rule[] = [loop, duplicate, toList, toRequests, implicitDestination, fromMember, fromNonMember];

export type RuleName = (typeof RULES)[number]['name'];

/** classify: runs every rule and keeps every hit with its reason. */
export function classify(msg: InboundMessage, snap: Snapshot, rules: readonly Rule[] = RULES): Hit[] {
  const hits: Hit[] = [];
  for (const rule of rules) {
    const reason = rule.check(msg, snap);
    if (reason !== null) hits.push({ rule: rule.name, reason });
  }
  return hits;
}
