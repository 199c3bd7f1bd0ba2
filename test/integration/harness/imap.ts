/**
 * Small imapflow helpers for tests. Each call opens its own connection (logger off, no
 * auto-IDLE) and logs out again, so they never interfere with a connection of the code under
 * test (beyond what the server itself reports to that connection, which is the point).
 *
 * `user` selects which of d.users logs in; default: the first one.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Dovecot } from './dovecot';

function credentials(d: Dovecot, user?: string): { user: string; pass: string } {
  const found = user === undefined ? d.users[0] : d.users.find((u) => u.user === user);
  if (!found) throw new Error(`imap helper: no such user ${JSON.stringify(user)} on this Dovecot`);
  return { user: found.user, pass: found.password };
}

/** Open a logged-in imapflow client to `d` (caller must logout()). */
export async function connect(d: Dovecot, user?: string, extra?: Partial<ImapFlowOptions>): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: d.host,
    port: d.port,
    secure: false,
    auth: credentials(d, user),
    logger: false,
    disableAutoIdle: true,
    ...extra,
  });
  // An 'error' event without a listener would crash the test process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function withClient<T>(d: Dovecot, user: string | undefined, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = await connect(d, user);
  try {
    return await fn(client);
  } finally {
    try {
      await client.logout();
    } catch {
      client.close();
    }
  }
}

function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

async function mailboxExists(client: ImapFlow, name: string): Promise<boolean> {
  if (isInbox(name)) return true;
  const boxes = await client.list();
  return boxes.some((b) => b.path === name);
}

async function ensureOn(client: ImapFlow, name: string): Promise<void> {
  if (isInbox(name)) return;
  await client.mailboxCreate(name); // resolves with created: false when it already exists
}

async function appendOn(client: ImapFlow, mailbox: string, raw: Buffer | string): Promise<number | undefined> {
  const res = await client.append(mailbox, raw);
  if (res === false) throw new Error(`imap helper: APPEND to ${mailbox} failed`);
  return res.uid;
}

/** Create the mailbox if it does not exist yet. */
export async function ensureMailbox(d: Dovecot, name: string, user?: string): Promise<void> {
  await withClient(d, user, (c) => ensureOn(c, name));
}

/** APPEND one message (creating the mailbox if needed). Resolves with its UID (UIDPLUS). */
export async function appendRaw(
  d: Dovecot,
  mailbox: string,
  raw: Buffer | string,
  user?: string,
): Promise<number | undefined> {
  return withClient(d, user, async (c) => {
    await ensureOn(c, mailbox);
    return appendOn(c, mailbox, raw);
  });
}

/** APPEND several messages in order on one connection. Resolves with their UIDs. */
export async function appendMany(
  d: Dovecot,
  mailbox: string,
  raws: (Buffer | string)[],
  user?: string,
): Promise<(number | undefined)[]> {
  return withClient(d, user, async (c) => {
    await ensureOn(c, mailbox);
    const uids: (number | undefined)[] = [];
    for (const raw of raws) uids.push(await appendOn(c, mailbox, raw));
    return uids;
  });
}

/** UIDs in the mailbox, ascending; [] when the mailbox does not exist. Opens it read-only. */
export async function listUids(d: Dovecot, mailbox: string, user?: string): Promise<number[]> {
  return withClient(d, user, async (c) => {
    if (!(await mailboxExists(c, mailbox))) return [];
    const box = await c.mailboxOpen(mailbox, { readOnly: true });
    if (box.exists === 0) return [];
    const uids = await c.search({ all: true }, { uid: true });
    return Array.isArray(uids) ? [...uids].sort((a, b) => a - b) : [];
  });
}
