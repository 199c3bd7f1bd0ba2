/**
 * A recording SMTP peer for integration tests (the `smtp-server` package on 127.0.0.1, a free
 * port, no TLS, no authentication required).
 *
 * Only messages accepted with 250 after DATA are recorded in `received`. onRcpt / onData may
 * return an SMTP reply to reject a recipient or a message (e.g. { code: 451, message: '...' }
 * for a temporary failure, 550 for a permanent one).
 *
 * Note: `smtp-server` waits a hard-coded 100 ms before greeting each new connection, so a sender
 * that opens one connection per message is capped near 8 messages/s by this peer, not by itself.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface SmtpReply {
  code: number;
  message: string;
}

export interface Received {
  /** MAIL FROM address; '' for the null sender <>. */
  envelopeFrom: string;
  /** Accepted RCPT TO addresses of this transaction. */
  rcptTo: string[];
  /** The message exactly as received after DATA (dot-unstuffed). */
  raw: Buffer;
  /** The Message-ID header value as it appears (with angle brackets), or undefined. */
  messageId: string | undefined;
  /** Header fields: lower-cased names, unfolded and trimmed values, in order of appearance. */
  headers: Map<string, string[]>;
}

export interface SmtpPeerOptions {
  /**
   * Called for every RCPT TO. `attempt` counts how many times this recipient (compared
   * case-insensitively) has been offered to this peer, starting at 1. Return a reply to reject it.
   */
  onRcpt?: (rcpt: string, attempt: number) => SmtpReply | undefined;
  /**
   * Called after the message data has been read. `rcpts` are the accepted recipients of this
   * transaction; `attempt` counts how many times a message with this Message-ID (any envelope)
   * has reached DATA on this peer, starting at 1 (messages without a Message-ID are counted by
   * the hash of their content). The third argument is the message as it would be recorded.
   * Return a reply to reject the message; it is then not recorded.
   */
  onData?: (rcpts: string[], attempt: number, message: Received) => SmtpReply | undefined;
}

export interface SmtpPeer {
  host: '127.0.0.1';
  port: number;
  received: Received[];
  /** Resolves when pred(received) holds; rejects after timeoutMs (default 20 s) saying what arrived. */
  waitFor(pred: (r: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1' as const;

/** Parse the header section of a raw message: lower-cased names, unfolded, trimmed values. */
export function parseHeaders(raw: Buffer): Map<string, string[]> {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const headers = new Map<string, string[]>();
  // Unfold: a line break followed by whitespace continues the previous field (RFC 5322 2.2.3).
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = Buffer.from(line.slice(colon + 1), 'latin1')
      .toString('utf8')
      .trim();
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}

function smtpError(reply: SmtpReply): Error {
  const err = new Error(reply.message) as Error & { responseCode: number };
  err.responseCode = reply.code;
  return err;
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function summarize(received: Received[]): string {
  const ids = received.map((r) => r.messageId ?? '(no Message-ID)');
  const shown = ids.length > 20 ? [...ids.slice(0, 20), `... ${ids.length - 20} more`] : ids;
  return `${received.length} message(s) received${shown.length ? ': ' + shown.join(', ') : ''}`;
}

export async function startSmtpPeer(opts?: SmtpPeerOptions): Promise<SmtpPeer> {
  const received: Received[] = [];
  const rcptAttempts = new Map<string, number>();
  const dataAttempts = new Map<string, number>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Close lingering (pooled) client connections quickly on stop().
    closeTimeout: 100,
    // Accept any credentials, in case the code under test is configured to authenticate.
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address, _session, callback) {
      const key = address.address.toLowerCase();
      const attempt = (rcptAttempts.get(key) ?? 0) + 1;
      rcptAttempts.set(key, attempt);
      let reply: SmtpReply | undefined;
      try {
        reply = opts?.onRcpt?.(address.address, attempt);
      } catch (err) {
        reply = { code: 451, message: `test onRcpt threw: ${(err as Error).message}` };
      }
      callback(reply ? smtpError(reply) : null);
    },
    onData(stream, session: SMTPServerSession, callback) {
      readAll(stream).then(
        (raw) => {
          const headers = parseHeaders(raw);
          const messageId = headers.get('message-id')?.[0];
          const message: Received = {
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((a) => a.address),
            raw,
            messageId,
            headers,
          };
          const key = messageId ?? 'sha256:' + createHash('sha256').update(raw).digest('hex');
          const attempt = (dataAttempts.get(key) ?? 0) + 1;
          dataAttempts.set(key, attempt);
          let reply: SmtpReply | undefined;
          try {
            reply = opts?.onData?.([...message.rcptTo], attempt, message);
          } catch (err) {
            reply = { code: 451, message: `test onData threw: ${(err as Error).message}` };
          }
          if (reply) {
            callback(smtpError(reply));
            return;
          }
          received.push(message);
          callback(null, 'Ok: queued');
        },
        (err: Error) => callback(err),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(0, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Errors on client sockets (e.g. a client resetting the connection) must not crash the tests.
  server.on('error', () => undefined);

  const address = server.server.address();
  if (address === null || typeof address === 'string') {
    await new Promise<void>((r) => server.close(() => r()));
    throw new Error('smtp peer: could not determine the listening port');
  }

  let stopped = false;
  return {
    host: HOST,
    port: address.port,
    received,
    async waitFor(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (pred(received)) return;
        if (Date.now() >= deadline) {
          throw new Error(`smtp peer: condition not met within ${timeoutMs} ms; ${summarize(received)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
