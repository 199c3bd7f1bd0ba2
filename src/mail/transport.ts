/**
 * The two ways a copy leaves: SMTP through a nodemailer pool, or an .eml file in a directory
 * (for trials and for an operator who hands mail to another tool). One envelope per call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import type { Config } from '../config';
import { AppError } from '../errors';

export interface Envelope {
  from: string;
  to: string;
}

export interface Transport {
  /** Resolves with the server's reply code (250) or null where there is none; rejects on failure. */
  send(envelope: Envelope, raw: Buffer, deliveryId: number): Promise<number | null>;
  close(): void;
  describe(): string;
  /** How many copies it sends at once (SMTP connections); the deliverer keeps that many busy. */
  readonly concurrency?: number;
}

export function createTransport(config: Config): Transport {
  const { smtp, directory } = config.outbound;
  const dkim = dkimOptions(config);
  if (smtp) return smtpTransport(smtp, dkim);
  return directoryTransport(path.resolve(directory!), dkim);
}

type DkimOptions = { domainName: string; keySelector: string; privateKey: string } | undefined;

/** The list's DKIM key, read once at start; a key that cannot be read stops the program there. */
function dkimOptions(config: Config): DkimOptions {
  const dkim = config.relay.dkim;
  if (!dkim) return undefined;
  let privateKey: string;
  try {
    privateKey = fs.readFileSync(path.resolve(dkim.privateKeyFile), 'utf8');
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `relay.dkim.privateKeyFile: expected a readable PEM private key, but ${path.resolve(dkim.privateKeyFile)} cannot be read: ${(err as Error).message}`,
    );
  }
  return { domainName: dkim.domainName, keySelector: dkim.keySelector, privateKey };
}

function smtpTransport(smtp: NonNullable<Config['outbound']['smtp']>, dkim: DkimOptions): Transport {
  const transporter = nodemailer.createTransport({
    pool: true,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    maxConnections: smtp.maxConnections,
    // The pool otherwise reconnects after every 100 messages.
    maxMessages: Infinity,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const pool = transporter.transporter as unknown as Pool;
  const signer = dkim ? new DKIM(dkim) : null;
  return {
    send(envelope, raw, deliveryId) {
      return new Promise((resolve, reject) => {
        pool.send(copyFor(envelope, raw, deliveryId, signer), (err, info) => {
          if (err) return reject(err);
          const code = /^(\d{3})/.exec(String(info?.response ?? ''));
          resolve(code ? Number(code[1]) : null);
        });
      });
    },
    close: () => transporter.close(),
    describe: () => `smtp://${smtp.host}:${smtp.port}`,
    concurrency: smtp.maxConnections,
  };
}

/**
 * What nodemailer's pool reads of a mail (its transport interface: the envelope, an ID for its own
 * log, the bytes as a stream). A copy is bytes already rendered, so it goes to the pool directly:
 * sendMail() would build a MIME tree around each copy, draw two random IDs for it and pipe it
 * through a stream pipeline, which together cost a fifth of the daemon's time in the benchmark.
 */
interface PoolCopy {
  data: Record<string, never>;
  message: {
    getEnvelope(): { from: string; to: string[] };
    messageId(): string;
    getHeader(name: string): string;
    createReadStream(): Readable;
  };
}

interface Pool {
  send(mail: PoolCopy, callback: (err: Error | null, info?: { response?: string }) => void): boolean;
}

function copyFor(envelope: Envelope, raw: Buffer, deliveryId: number, signer: DKIM | null): PoolCopy {
  const id = `delivery-${deliveryId}`;
  return {
    data: {},
    message: {
      getEnvelope: () => ({ from: envelope.from, to: [envelope.to] }),
      messageId: () => id,
      getHeader: () => id,
      // A new stream per call: the pool sends a copy again over another connection when the first
      // one closed before reading a byte of it.
      createReadStream: () => (signer ? signer.sign(raw) : Readable.from([raw], { objectMode: false })),
    },
  };
}

/**
 * Each copy becomes <dir>/<delivery id>.eml, written under a temporary name and renamed, so a
 * reader never sees half a file and a copy sent twice after a crash is the same file.
 */
function directoryTransport(dir: string, dkim: DkimOptions): Transport {
  // nodemailer's stream transport only to sign the bytes the way the SMTP transport would.
  const signer = dkim ? nodemailer.createTransport({ streamTransport: true, buffer: true, dkim }) : null;
  return {
    async send(envelope, original, deliveryId) {
      const raw = signer
        ? ((await signer.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw: original }))
            .message as Buffer)
        : original;
      await fs.promises.mkdir(dir, { recursive: true });
      const name = `${String(deliveryId).padStart(8, '0')}.eml`;
      const tmp = path.join(dir, `.${name}.tmp`);
      const head = `X-Envelope-From: <${envelope.from}>\r\nX-Envelope-To: <${envelope.to}>\r\n`;
      await fs.promises.writeFile(tmp, Buffer.concat([Buffer.from(head), raw]));
      await fs.promises.rename(tmp, path.join(dir, name));
      return null;
    },
    close: () => undefined,
    describe: () => `directory ${dir}`,
    concurrency: 4,
  };
}
