/**
 * An SMTP peer that counts and timestamps deliveries as they arrive (onData, before the 250 reply).
 */
import { type SmtpPeer, startSmtpPeer } from '../test/integration/harness/smtp-peer';
import { now, withTimeout } from './util';

export interface CountingPeer {
  peer: SmtpPeer;
  count: number;
  firstAt: number | null;
  lastAt: number | null;
  duplicates: number;
  /** Time of the first copy of each Message-ID, and how many copies of it arrived. */
  firstByMessageId: Map<string, number>;
  copiesByMessageId: Map<string, number>;
  waitForCount(n: number, timeoutMs: number, failed?: Promise<never>): Promise<void>;
  waitForMessage(messageId: string, copies: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startCountingPeer(): Promise<CountingPeer> {
  const seen = new Set<string>();
  let waiters: { check: () => boolean; resolve: () => void }[] = [];
  const state = {
    count: 0,
    firstAt: null as number | null,
    lastAt: null as number | null,
    duplicates: 0,
    firstByMessageId: new Map<string, number>(),
    copiesByMessageId: new Map<string, number>(),
  };
  const peer = await startSmtpPeer({
    onData(rcpts, _attempt, message) {
      const t = now();
      const id = message.messageId ?? '(none)';
      for (const rcpt of rcpts) {
        const key = `${id}\n${rcpt.toLowerCase()}`;
        if (seen.has(key)) state.duplicates += 1;
        else seen.add(key);
      }
      state.count += rcpts.length;
      state.firstAt ??= t;
      state.lastAt = t;
      if (!state.firstByMessageId.has(id)) state.firstByMessageId.set(id, t);
      state.copiesByMessageId.set(id, (state.copiesByMessageId.get(id) ?? 0) + rcpts.length);
      if (waiters.length > 0) {
        waiters = waiters.filter((w) => {
          if (!w.check()) return true;
          w.resolve();
          return false;
        });
      }
      return undefined;
    },
  });
  // The harness keeps every received message (raw and headers); 40,000 copies would hold ~150 MB
  // in this process. Only the counters above are needed, so drop what the peer keeps.
  const trim = setInterval(() => {
    peer.received.length = 0;
  }, 250);
  const waitFor = (check: () => boolean, timeoutMs: number, what: string, failed?: Promise<never>) => {
    if (check()) return Promise.resolve();
    const p = new Promise<void>((resolve) => {
      waiters.push({ check, resolve });
    });
    return withTimeout(failed ? Promise.race([p, failed]) : p, timeoutMs, what);
  };
  return Object.assign(state, {
    peer,
    waitForCount(n: number, timeoutMs: number, failed?: Promise<never>) {
      return waitFor(
        () => state.count >= n,
        timeoutMs,
        `${n} deliveries at the SMTP peer (got ${state.count})`,
        failed,
      );
    },
    async waitForMessage(messageId: string, copies: number, timeoutMs: number) {
      await waitFor(
        () => (state.copiesByMessageId.get(messageId) ?? 0) >= copies,
        timeoutMs,
        `${copies} copies of ${messageId}`,
      );
      return state.firstByMessageId.get(messageId)!;
    },
    async stop() {
      clearInterval(trim);
      await peer.stop();
    },
  });
}
