/**
 * The kinds of mail we write, one entry per template in templates/, each with the shape of its
 * parameters. The shapes are zod schemas used only as declarations: the compiler takes each
 * kind's parameter type from them (a misspelt kind or a missing or mistyped parameter does not
 * compile), and a unit test walks every template with them (every variable a template uses is a
 * declared parameter). Nothing is parsed at run time. Pure.
 */
import { z } from 'zod';

const str = z.string();
const num = z.number();
const bool = z.boolean();
const optStr = z.string().nullable();

/** Given to every template by the sender (actions/send.ts baseParams); no call passes them. */
export const BASE_PARAMS = z.object({ listName: str, listAddress: str, requestsAddress: str });

/** Everything a mail about a leak is told of it (actions/leak-view.ts LeakPeople). */
const leakPeople = {
  id: num,
  disclosure: num,
  reporter: str,
  reporterOrganization: str,
  leaker: str,
  leakerOrganization: str,
  claim: str,
  candidates: z.array(str),
  isSelf: bool,
  isNamed: bool,
  isAmbiguous: bool,
  isUnknown: bool,
  isUnattributed: bool,
};

/** Whether a member's copy of thread mail says it was encrypted (member.partial.encryption-status; openpgp/outbound). */
const encryptionStatus = { pgp: bool, encrypted: bool };

/** What a notice into a disclosure thread always carries (actions/thread-notice.ts, actions/send.ts). */
const threadNotice = { id: num, prefix: str, subject: str, ...encryptionStatus };

/** An OpenPGP key as people are shown it (openpgp/attached-key viewKey). */
const keyView = z.object({
  fingerprint: str,
  spaced: str,
  created: str,
  expires: optStr,
  userIds: z.array(str),
  matches: bool,
});
const keyProblem = z.object({ code: str, message: str }).nullable();
const subscribed = z.object({
  id: num,
  alias: str,
  organization: str,
  confirmedBy: str,
  policy: str,
  /** The key the join request carried, stored as the member's key at the subscription (spaced). */
  keyFingerprint: optStr,
});
const removed = z.object({
  address: str,
  organization: str,
  reason: optStr,
  actor: str,
  kind: z.enum(['removed', 'unsubscribed']),
  removed: bool,
});
const leakToReporter = z.object({ ...leakPeople, missing: str, due: str, prefix: str });
const finding = z.object({ code: str, message: str });

/** What a moderator's reply named: exactly one purpose flag is set (moderator.partial.token-object). */
export const tokenObject = z.object({
  request: num.optional(),
  remove: bool.optional(),
  held: bool.optional(),
  probe: bool.optional(),
  thread: bool.optional(),
  send: bool.optional(),
  leak: bool.optional(),
  moderate: bool.optional(),
  applicant: bool.optional(),
  confirm: bool.optional(),
  unsubscribe: bool.optional(),
  subject: str,
});

/** Why a command was refused, one sentence each (moderator.fragment.refusal-reason). */
export const refusalReason = z.object({
  notModerator: bool.optional(),
  notAuthenticated: bool.optional(),
  unknownToken: bool.optional(),
  keywordWithoutToken: bool.optional(),
  removeNotModerator: bool.optional(),
  alternativesDisagree: bool.optional(),
  firstLine: bool.optional(),
  keyword: str.optional(),
  argument: optStr.optional(),
  plain: bool.optional(),
  detail: str.optional(),
  notApplicant: bool.optional(),
  request: num.optional(),
  from: str.optional(),
  applicant: str.optional(),
});
export type RefusalReason = z.input<typeof refusalReason>;

export const MAIL_KINDS = {
  'alias.action.confirm-subscription': z.object({
    id: num,
    token: str,
    alias: str,
    organization: str,
    applicant: str,
    expires: str,
  }),
  'alias.notice.welcome': subscribed,
  'applicant.action.question': z.object({ id: num, token: str, question: str }),
  'applicant.notice.answer-too-late': z.object({ id: num, state: str }),
  'applicant.notice.approved': z.object({ id: num, alias: str, expires: str }),
  'applicant.notice.rejected': z.object({ id: num, reason: str }),
  'applicant.notice.request-open': z.object({ id: num, organization: str, receivedAt: str, days: num }),
  'applicant.notice.request-received': z.object({
    id: num,
    subject: str,
    complete: bool,
    embargoCriterion: num,
    replaced: optStr,
    token: optStr,
    view: z.object({
      organization: str,
      alias: str,
      missing: z.array(z.object({ n: num, text: str })),
      blocking: z.array(finding),
      acceptsEmbargo: bool,
    }),
    confirmReplace: z.object({ replaces: str }).nullable(),
    key: keyView.nullable(),
    keyProblem,
  }),
  'applicant.notice.subscribed': subscribed,
  'member.action.ack-reminder': z.object({ ...threadNotice, member: str, openedAt: str }),
  'member.action.confirm-unsubscribe': z.object({ address: str, token: str }),
  /** actions/member-key: encrypted to the key it confirms, so only its holder reads the token. */
  'member.action.confirm-key': z.object({ member: str, token: str, key: keyView, expires: str }),
  'member.action.leak-details-missing': leakToReporter,
  'member.action.probe': z.object({ address: str, organization: str, token: str, due: str }),
  'member.footer.disclosure': z.object({
    id: num,
    listName: str,
    embargoed: bool,
    upstream: bool,
    end: optStr,
    liftedAt: optStr,
    ...encryptionStatus,
  }),
  'member.notice.embargo-ending': z.object({ ...threadNotice, end: str }),
  'member.notice.embargo-lifted': z.object({ ...threadNotice, at: str, by: optStr }),
  'member.notice.embargo-moved': z.object({ ...threadNotice, end: str, previous: optStr }),
  /** actions/member-key: the member's new key is in use. */
  'member.notice.key-added': z.object({ member: str, key: keyView, previous: optStr }),
  /** actions/member-key: a key sent by mail that is not taken, and why. */
  'member.notice.key-refused': z.object({
    member: str,
    code: str,
    message: str,
    secret: bool,
    unauthenticated: bool,
    alreadyInUse: bool,
    moderators: str,
  }),
  'member.notice.key-required': z.object({ id: num, member: str, moderators: str }),
  /** jobs/key-expiry: the member's key expires within policy.keyExpiryWarnDays (fingerprint: spaced, for reading; fpr: for gpg commands; expires: formatUtc). */
  'member.notice.key-expiring': z.object({
    member: str,
    fingerprint: str,
    fpr: str,
    expires: str,
    days: num,
    moderators: str,
  }),
  /** jobs/key-expiry, policy opportunistic: the member's key expired or was revoked; copies now go in the clear. */
  'member.notice.key-expired': z.object({
    member: str,
    fingerprint: str,
    fpr: str,
    revoked: bool,
    expires: optStr,
    moderators: str,
  }),
  'member.notice.leak-recorded': leakToReporter,
  'member.notice.removed': removed,
  'moderator.action.confirm-remove': z.object({ token: str, alias: str, organization: str, reason: str }),
  'moderator.action.disclosure-opened': z.object({
    id: num,
    token: str,
    subject: str,
    end: optStr,
    upstream: bool,
    members: num,
    openedBy: str,
    flagged: z.array(str),
  }),
  'moderator.action.disclosure-returned': z.object({
    token: str,
    subject: str,
    problem: str,
    sendAsIs: bool,
    sendOpenEnded: bool,
    end: optStr,
    maxDays: num,
  }),
  'moderator.action.disclosure-proposed': z.object({
    token: str,
    subject: str,
    line: str,
    why: str,
    end: str,
    words: str,
    keyword: str,
    maxDays: num,
  }),
  'moderator.action.held-post': z.object({
    id: num,
    token: str,
    from: str,
    subject: str,
    messageId: str,
    receivedAt: str,
    addressedTo: str,
    reasons: z.array(str),
    relayable: bool,
    nonMember: bool,
    expires: str,
  }),
  'moderator.action.join-request': z.object({
    id: num,
    token: str,
    key: keyView.nullable(),
    keyProblem,
    superseded: optStr,
    expiredTokenFrom: optStr,
    reminder: bool,
    expires: str,
    view: z.object({
      organization: str,
      alias: str,
      applicant: str,
      createdAt: str,
      authenticated: bool,
      authEvidence: str,
      acceptsEmbargo: bool,
      others: z.array(
        z.object({
          id: num,
          applicant: str,
          age: z.enum(['older', 'newer']),
          authenticated: bool,
          sameAddress: bool,
          alias: str,
          createdAt: str,
        }),
      ),
      blocking: z.array(finding),
      warnings: z.array(finding),
      missing: z.array(z.object({ n: num })),
    }),
    criteria: z.array(z.object({ n: num, text: str, answer: str })),
  }),
  'moderator.action.leak-reported': z.object({
    ...leakPeople,
    token: str,
    kind: str,
    subject: str,
    state: str,
    limit: num,
    what: str,
    toWhom: str,
    text: str,
    due: str,
  }),
  'moderator.action.removal-proposal': z.object({
    member: str,
    organization: str,
    count: num,
    limit: num,
    windowDays: num,
    removeLine: str,
    history: z.array(
      z.object({
        id: num,
        disclosure: num,
        at: str,
        reporter: str,
        reporterOrganization: str,
        what: str,
        toWhom: str,
        retro: str,
      }),
    ),
  }),
  'moderator.notice.already-decided': z.object({
    object: tokenObject,
    state: str,
    by: optStr,
    when: optStr,
    reason: optStr,
  }),
  'moderator.notice.applicant-answered': z.object({
    id: num,
    token: str,
    organization: str,
    applicant: str,
    thread: z.array(z.object({ who: str, what: str, text: str, at: str })),
  }),
  'moderator.notice.cannot-approve': z.object({ id: num.nullable(), why: str }),
  'moderator.notice.command-refused': z.object({
    from: str,
    subject: str,
    messageId: str,
    inboundId: num,
    why: z.array(str),
    at: str,
  }),
  'moderator.notice.confirmation-lapsed': z.object({ id: num, alias: optStr, organization: str, expiredAt: str }),
  'moderator.notice.disclosure-changed': z.object({ id: num, subject: str, actor: str, movedTo: optStr, lifted: bool }),
  'moderator.notice.held-expired': z.object({ id: num, from: str, subject: str, holdDays: num }),
  'moderator.notice.member-removed': removed,
  /** jobs/key-expiry, policy required: a member's key expired or was revoked; it now gets notices only. */
  'moderator.notice.member-key-expired': z.object({
    member: str,
    organization: str,
    fingerprint: str,
    revoked: bool,
    expires: optStr,
  }),
  /** actions/member-key, actions/confirmation: a member's key was added without a moderator (by mail, or with its join request). */
  'moderator.notice.member-key-added': z.object({ member: str, key: keyView, previous: optStr, via: str }),
  'moderator.notice.members-without-key': z.object({ id: num, count: num, members: z.array(str) }),
  'moderator.notice.member-unreachable': z.object({
    address: str,
    organization: str,
    score: num,
    threshold: num,
    diagnostic: str,
  }),
  /** jobs/key-expiry: the moderator's own key expires within policy.keyExpiryWarnDays (expires: formatUtc). */
  'moderator.notice.key-expiring': z.object({ moderator: str, fingerprint: str, fpr: str, expires: str, days: num }),
  'moderator.notice.no-keyword': z.object({ allowed: str, read: optStr }),
  'moderator.notice.probe-unanswered': z.object({ address: str, organization: str, probedAt: str, graceDays: num }),
  /** A message shunted to quarantine (runners/pipeline.ts shunt), attached whole or by its header when over the cap. */
  'moderator.notice.quarantined': z.object({
    id: num,
    code: str,
    reason: str,
    from: str,
    subject: str,
    messageId: str,
    receivedAt: str,
    size: num,
    cap: num,
    attached: bool,
    crashes: num,
    tooManyAttempts: bool,
  }),
  'moderator.notice.request-decided': z.object({
    id: num,
    organization: str,
    alias: str,
    verb: str,
    actor: str,
    text: optStr,
    at: str,
  }),
  'moderator.notice.request-replaced': z.object({ id: num, replaced: str, applicant: str, confirmedBy: str }),
  /** days: the request timer's reminder (jobs/expiry); null: the moderation token expired undecided. */
  'moderator.notice.request-waiting': z.object({
    id: num,
    days: num.nullable(),
    organization: str,
    alias: str,
    receivedAt: str,
    escalationDays: num,
    escalation: bool,
    resent: bool,
    /** The applicant was told that it is still open (false: the automatic-answer cap held it back). */
    applicantTold: bool.optional(),
  }),
  'moderator.notice.request-escalated': z.object({
    id: num,
    organization: str,
    alias: str,
    applicant: str,
    receivedAt: str,
    days: num,
    moderators: str,
  }),
  'moderator.notice.retrospective-closed': z.object({ ...leakPeople, actor: str, summary: str }),
  'moderator.notice.retrospective-due': z.object({ ...leakPeople, due: str, what: str, toWhom: str }),
  'moderator.notice.subscribed': subscribed,
  'moderator.notice.token-expired': z.object({ id: num.nullable(), expiredAt: str, resent: bool }),
  'moderator.notice.unacknowledged': z.object({
    id: num,
    subject: str,
    openedAt: str,
    count: num,
    members: z.array(z.object({ member: str, organization: str, status: optStr })),
  }),
  'requester.notice.confirmation-problem': z.object({
    problem: str.optional(),
    noKeyword: bool.optional(),
    expired: bool.optional(),
    used: bool.optional(),
  }),
  'requester.notice.help': z.object({ criteria: z.array(z.object({ n: num, text: str })) }),
  'requester.notice.not-a-member': z.object({ address: str }),
  'requester.notice.post-rejected': z.object({ subject: str, reason: str, addressedTo: str }),
  /** Fragments: text rendered into another mail or record, never sent alone. */
  'moderator.fragment.refusal-reason': refusalReason,
} as const;

export type MailKind = keyof typeof MAIL_KINDS;
export type MailParams<K extends MailKind> = z.input<(typeof MAIL_KINDS)[K]>;

/** Kinds whose template is a body only (a footer, a fragment): rendered into something else, never sent. */
export type BodyOnlyKind = Extract<MailKind, `${string}.footer.${string}` | `${string}.fragment.${string}`>;
export type SentKind = Exclude<MailKind, BodyOnlyKind>;

/** Notices into a disclosure thread: the thread's id, prefix and subject are filled in by the sender. */
export type ThreadNoticeKind =
  | 'member.notice.embargo-ending'
  | 'member.notice.embargo-lifted'
  | 'member.notice.embargo-moved'
  | 'member.action.ack-reminder';
export type ThreadNoticeParams<K extends ThreadNoticeKind> = Omit<MailParams<K>, keyof typeof threadNotice>;

/** Partials: text shared by several templates (audience.partial.name.txt), included with {{> name}}. */
export function isPartial(name: string): boolean {
  return name.split('.')[1] === 'partial';
}
