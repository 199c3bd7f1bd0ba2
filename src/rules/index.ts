import type { InboundMessage } from '../message/parse';
import { alternativesDisagree } from './alternatives';
import { autoReply, bounce } from './automated';
import { duplicate } from './duplicate';
import { headerAnomaly } from './header-anomaly';
import { implicitDestination, toList, toRequests } from './destination';
import { ackKeyword, fromModerator, helpRequest, moderatorKeyword, removeKeyword, unsubscribeKeyword } from './keywords';
import { loop } from './loop';
import { fromMember, fromNonMember, fromStranger } from './membership';
import { inThread, leak, membersMayNotOpen, namesThread, newThread, unauthenticated } from './threads';
import { replyToConfirmation, replyToModeration, replyToOurMail, replyToQuestion, unknownToken } from './replies';
import type { Hit, Rule, Snapshot } from './types';

export const RULES: readonly Rule[] = [
  loop, bounce, autoReply, duplicate, headerAnomaly,
  toList, toRequests, implicitDestination,
  fromMember, fromNonMember, fromModerator, fromStranger, unauthenticated,
  inThread, newThread, namesThread, leak, ackKeyword, membersMayNotOpen,
  replyToModeration, replyToQuestion, replyToConfirmation, unknownToken, replyToOurMail,
  moderatorKeyword, unsubscribeKeyword, removeKeyword, helpRequest, alternativesDisagree,
];

/** classify: runs every rule and keeps every hit with its reason. */
export function classify(msg: InboundMessage, snap: Snapshot, rules: readonly Rule[] = RULES): Hit[] {
  const hits: Hit[] = [];
  for (const rule of rules) {
    const reason = rule.check(msg, snap);
    if (reason !== null) hits.push({ rule: rule.name, reason });
  }
  return hits;
}
