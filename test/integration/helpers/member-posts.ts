/**
 * The load of the fault tests (test/integration/resilience, db-faults): members' authenticated new
 * posts to the list, and what the SMTP peer accepted of them, counted per (Message-ID, recipient).
 * Members may open threads in those tests (MEMBERS_MAY_OPEN): they are about not losing or
 * repeating mail, not about moderation (the shipped policy holds such a post for a moderator).
 */
import type { SmtpPeer } from '../harness/smtp-peer';
import { authenticatedMessage } from './authenticated';
import { LIST } from './daemon';

export const MEMBERS_MAY_OPEN = { membersMayOpenThreads: true };

/** `count` posts, from the members in turn, each with a Message-ID of its own: <TAG.N@test.example>. */
export function memberPosts(members: readonly { address: string }[], count: number, tag: string): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    authenticatedMessage({
      from: members[i % members.length]!.address,
      to: LIST,
      subject: `${tag} ${i}`,
      messageId: `<${tag}.${i}@test.example>`,
    }),
  );
}

/** Every (Message-ID, recipient) pair the peer accepted, with how often. */
export function deliveries(smtp: SmtpPeer): Map<string, number> {
  const seen = new Map<string, number>();
  for (const r of smtp.received)
    for (const rcpt of r.rcptTo) {
      const key = `${r.messageId} ${rcpt}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  return seen;
}
