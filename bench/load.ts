/**
 * The load: the member list (and its Membership table for `members import`), the posts as the
 * trusted receiving host hands them over, and moving the backlog back between runs.
 */
import { makeMessage } from '../test/helpers/mail-factory';
import type { Dovecot } from '../test/integration/harness/dovecot';
import { connect } from '../test/integration/harness/imap';
import { authResults } from '../test/integration/helpers/authenticated';
import { LIST } from '../test/integration/helpers/daemon';

export function memberList(n: number): { address: string; org: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(2, '0');
    return { address: `security@member${k}.bench.example`, org: `Member ${k}` };
  });
}

/** The members as the policy document's Membership table, the input of `embargo-list members import`. */
export function membershipTable(members: { address: string; org: string }[]): string {
  return ['| Email | Organization |', '| --- | --- |', ...members.map((m) => `| ${m.address} | ${m.org} |`), ''].join(
    '\n',
  );
}

const FILLER = 'The fix for the reported issue is staged for the coordinated release; please keep it under embargo.';

/**
 * A member post of about `bytes` bytes (headers included), with the trusted receiving host's
 * Authentication-Results on top (an aligned dkim=pass for the author's domain, dmarc=pass), as
 * production sees a member's post when posts must be authenticated.
 */
export function makePost(from: string, id: string, subject: string, bytes: number): Buffer {
  const auth = Buffer.from(authResults(from.slice(from.lastIndexOf('@') + 1)));
  const head = auth.length + makeMessage({ from, to: LIST, subject, messageId: id, body: '' }).length;
  const lines: string[] = [];
  let size = head;
  for (let i = 0; size < bytes; i++) {
    const line = `${String(i).padStart(3, '0')} ${FILLER}`.slice(0, Math.max(1, bytes - size - 2));
    lines.push(line);
    size += line.length + 2;
  }
  return Buffer.concat([auth, makeMessage({ from, to: LIST, subject, messageId: id, body: lines.join('\n') + '\n' })]);
}

/** A UID set in ranges (1:500,502), so that a long backlog fits in one IMAP command line. */
export function uidSet(uids: number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export async function moveBack(dovecot: Dovecot, from: string, to: string, uids: number[]): Promise<void> {
  const client = await connect(dovecot);
  try {
    await client.mailboxOpen(from);
    if (uids.length > 0) await client.messageMove(uidSet(uids), to, { uid: true });
  } finally {
    await client.logout().catch(() => client.close());
  }
}
