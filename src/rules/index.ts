import type { InboundMessage } from '../message/parse';
import { alternativesDisagree } from './alternatives';
import { autoReply, bounce } from './automated';
import { duplicate } from './duplicate';
import { headerAnomaly } from './header-anomaly';
import { implicitDestination, toList, toRequests } from './destination';
import {
  ackKeyword,
  fromModerator,
  helpRequest,
  moderatorKeyword,
  removeKeyword,
  unsubscribeKeyword,
} from './keywords';
import { loop } from './loop';
import { fromMember, fromNonMember, fromStranger } from './membership';
import { inThread, leak, membersMayNotOpen, namesThread, newThread, unauthenticated } from './threads';
import { replyToConfirmation, replyToModeration, replyToOurMail, replyToQuestion, unknownToken } from './replies';
import { tooLarge, tooManyParts } from './size';
import { encryptedUnreadable } from './encryption';
import { carriesKey, replyToKeyConfirmation } from './keys';
import type { Hit, Rule, RuleName, RuleUse, Snapshot } from './types';

/** Checked on the header alone when an encrypted message could not be decrypted (runners/pipeline): nothing else is read. */
export const UNREADABLE_RULES: readonly Rule[] = [encryptedUnreadable];

/** Checked first, on the header alone (message/header-only), before the body is parsed: over a limit, nothing else is read. */
export const SIZE_RULES: readonly Rule[] = [tooLarge, tooManyParts];

/** Checked on the parsed message. */
export const MESSAGE_RULES: readonly Rule[] = [
  loop,
  bounce,
  autoReply,
  duplicate,
  headerAnomaly,
  toList,
  toRequests,
  implicitDestination,
  fromMember,
  fromNonMember,
  fromModerator,
  fromStranger,
  unauthenticated,
  inThread,
  newThread,
  namesThread,
  leak,
  ackKeyword,
  membersMayNotOpen,
  replyToModeration,
  replyToQuestion,
  replyToConfirmation,
  replyToKeyConfirmation,
  carriesKey,
  unknownToken,
  replyToOurMail,
  moderatorKeyword,
  unsubscribeKeyword,
  removeKeyword,
  helpRequest,
  alternativesDisagree,
];

/** Every rule, in the order they run. */
export const RULES: readonly Rule[] = [...UNREADABLE_RULES, ...SIZE_RULES, ...MESSAGE_RULES];

/** What each rule's hit is good for beyond the chains (see RuleUse). */
export const RULE_USE: ReadonlyMap<RuleName, RuleUse> = new Map(RULES.map((r) => [r.name, r.use]));

/** classify: runs every rule of the parsed message and keeps every hit with its reason. */
export function classify(msg: InboundMessage, snap: Snapshot, rules: readonly Rule[] = MESSAGE_RULES): Hit[] {
  const hits: Hit[] = [];
  for (const rule of rules) {
    const reason = rule.check(msg, snap);
    if (reason !== null) hits.push({ rule: rule.name, reason });
  }
  return hits;
}
