/**
 * The two ways a copy leaves: SMTP through a nodemailer pool, or an .eml file in a directory
 * (for trials and for an operator who hands mail to another tool). One envelope per call.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config';

export interface Envelope { from: string; to: string }

export interface Transport {
  /** Resolves with the server's reply code (250) or null where there is none; rejects on failure. */
  send(envelope: Envelope, raw: Buffer, deliveryId: number): Promise<number | null>;
  close(): void;
  describe(): string;
}

export function createTransport(config: Config): Transport {
  const { smtp, directory } = config.outbound;
  if (smtp) return smtpTransport(smtp);
  return directoryTransport(path.resolve(directory!));
}

function smtpTransport(smtp: NonNullable<Config['outbound']['smtp']>): Transport {
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
  return {
    async send(envelope, raw) {
      const info = await transporter.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
      const code = /^(\d{3})/.exec(String(info.response ?? ''));
      return code ? Number(code[1]) : null;
    },
    close: () => transporter.close(),
    describe: () => `smtp://${smtp.host}:${smtp.port}`,
  };
}

/**
 * Each copy becomes <dir>/<delivery id>.eml, written under a temporary name and renamed, so a
 * reader never sees half a file and a copy sent twice after a crash is the same file.
 */
function directoryTransport(dir: string): Transport {
  return {
    async send(envelope, raw, deliveryId) {
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
  };
}
