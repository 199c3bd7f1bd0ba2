/**
 * Push latency: the daemon idle in IDLE, posts APPENDed one at a time, against Dovecot's own
 * IDLE notification time seen by a plain client (the floor).
 */
import { normalizeMessageId } from '../test/helpers/mail-factory';
import type { Dovecot } from '../test/integration/harness/dovecot';
import { connect } from '../test/integration/harness/imap';
import type { CountingPeer } from './counting-peer';
import { makePost } from './load';
import type { Options } from './options';
import { now, onCleanup, round, sleep, stats } from './util';

export async function latencyTest(
  dovecot: Dovecot,
  opts: Options,
  peer: CountingPeer,
  members: { address: string; org: string }[],
  died: Promise<never>,
) {
  // Idle: nothing left to send, and more than imapflow's autoIdleDelay (500 ms) since the last command.
  await sleep(1500);
  const appender = await connect(dovecot);
  const closeAppender = onCleanup('latency appender', async () => {
    await appender.logout().catch(() => appender.close());
  });
  // Dovecot's own floor: a plain client idling on the same INBOX sees the same EXISTS.
  const watcher = await connect(dovecot);
  const closeWatcher = onCleanup('latency watcher', async () => {
    await watcher.logout().catch(() => watcher.close());
  });
  await watcher.mailboxOpen('INBOX');
  let existsAt: number | null = null;
  let lastCount = watcher.mailbox ? watcher.mailbox.exists : 0;
  watcher.on('exists', (info: { count: number }) => {
    if (info.count > lastCount && existsAt === null) existsAt = now();
    lastCount = info.count;
  });
  watcher.on('expunge', () => {
    lastCount = Math.max(0, lastCount - 1);
  });
  void watcher.idle().catch(() => undefined);
  await sleep(300);

  const daemonMs: number[] = [];
  const floorMs: number[] = [];
  const overheadMs: number[] = [];
  const appendMs: number[] = [];
  const tag = Date.now().toString(36);
  for (let i = 0; i < opts.latencyPosts; i++) {
    const from = members[i % members.length]!.address;
    const id = normalizeMessageId(`latency.${i}.${tag}@bench.example`);
    const raw = makePost(from, id, `Latency post ${i}`, opts.postBytes);
    existsAt = null;
    const ta = now();
    await appender.append('INBOX', raw);
    const tAppended = now();
    appendMs.push(tAppended - ta);
    const first = await Promise.race([peer.waitForMessage(id, 1, 15_000), died]);
    daemonMs.push(first - tAppended);
    if (existsAt !== null) {
      floorMs.push((existsAt as number) - tAppended);
      overheadMs.push(first - (existsAt as number));
    }
    // Every copy out, then a pause longer than autoIdleDelay so the daemon is back in IDLE.
    await Promise.race([peer.waitForMessage(id, members.length, 15_000), died]);
    await sleep(opts.latencyGapMs);
  }
  await closeWatcher();
  await closeAppender();
  return {
    posts: opts.latencyPosts,
    gapMs: opts.latencyGapMs,
    appendToFirstCopyMs: stats(daemonMs),
    dovecotIdleFloorMs: stats(floorMs),
    daemonAfterExistsMs: stats(overheadMs),
    appendCommandMs: stats(appendMs),
    samplesMs: daemonMs.map((v) => round(v)),
  };
}
