/**
 * The load: the member list, the posts, and moving the backlog back between runs.
 */
import { makeMessage } from '../test/helpers/mail-factory';
import type { Dovecot } from '../test/integration/harness/dovecot';
import { connect } from '../test/integration/harness/imap';
import { LIST } from '../test/integration/helpers/daemon';

export function memberList(n: number): { address: string; org: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(2, '0');
    return { address: `security@member${k}.bench.example`, org: `Member ${k}` };
  });
}

const FILLER = 'The fix for the reported issue is staged for the coordinated release; please keep it under embargo.';

/** A plain member post of about `bytes` bytes (headers included). */
export function makePost(from: string, id: string, subject: string, bytes: number): Buffer {
  const head = makeMessage({ from, to: LIST, subject, messageId: id, body: '' }).length;
  const lines: string[] = [];
  let size = head;
  for (let i = 0; size < bytes; i++) {
    const line = `${String(i).padStart(3, '0')} ${FILLER}`.slice(0, Math.max(1, bytes - size - 2));
    lines.push(line);
    size += line.length + 2;
  }
  return makeMessage({ from, to: LIST, subject, messageId: id, body: lines.join('\n') + '\n' });
}

export async function moveBack(dovecot: Dovecot, from: string, to: string, uids: number[]): Promise<void> {
  const client = await connect(dovecot);
  try {
    await client.mailboxOpen(from);
    if (uids.length > 0) await client.messageMove(uids.join(','), to, { uid: true });
  } finally {
    await client.logout().catch(() => client.close());
  }
}
