/**
 * Composes the mails we write ourselves (notices, answers) into RFC 5322 bytes, synchronously,
 * so that an action can put them in the outbox inside its transaction. Header encoding and
 * address formatting are nodemailer's; the body is quoted-printable UTF-8 text.
 */
import crypto from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { Config } from '../config';
import { domainOf } from '../message/address';
import type { Rendered } from './templates';

export interface NoticeMail {
  to: string[];
  rendered: Rendered;
  /** auto-replied: an answer to a mail; auto-generated: a notice of our own (RFC 3834). */
  autoSubmitted: 'auto-replied' | 'auto-generated';
  inReplyTo?: string | null;
  references?: string[];
  /** A Message-ID of our choosing, e.g. one that carries a token; default a random one. */
  messageId?: string;
  /** The To header when it differs from the envelope recipients (a notice to the list's members). */
  headerTo?: string[];
  replyTo?: string;
}

export function listDomain(config: Config): string {
  return domainOf(config.list.address);
}

export function newMessageId(config: Config): string {
  return `<${crypto.randomUUID()}@${listDomain(config)}>`;
}

/** A Message-ID that carries a token, so that a reply's In-Reply-To and References bring it back. */
export function tokenMessageId(config: Config, token: string, tag: string): string {
  return `<${tag}.${crypto.randomBytes(4).toString('hex')}.tk-${token}@${listDomain(config)}>`;
}

export function composeNotice(config: Config, mail: NoticeMail, now: Date): { raw: Buffer; messageId: string } {
  const messageId = mail.messageId ?? newMessageId(config);
  const node = new MimeNode('text/plain; charset=utf-8');
  node.setHeader('From', { name: config.list.name, address: config.list.requestsAddress });
  node.setHeader('To', mail.headerTo ?? mail.to);
  if (mail.replyTo) node.setHeader('Reply-To', mail.replyTo);
  node.setHeader('Subject', mail.rendered.subject);
  node.setHeader('Date', now.toUTCString().replace('GMT', '+0000'));
  node.setHeader('Message-ID', messageId);
  if (mail.inReplyTo) node.setHeader('In-Reply-To', mail.inReplyTo);
  const refs = [...(mail.references ?? []), ...(mail.inReplyTo ? [mail.inReplyTo] : [])];
  if (refs.length > 0) node.setHeader('References', [...new Set(refs)].join(' '));
  node.setHeader('Auto-Submitted', mail.autoSubmitted);
  node.setHeader('X-Auto-Response-Suppress', 'All');
  node.setHeader('X-Loop', config.list.address);
  node.setHeader('Content-Transfer-Encoding', 'quoted-printable');
  const text = mail.rendered.text.replace(/\r?\n/g, '\r\n');
  const head = node.buildHeaders();
  return { raw: Buffer.from(`${head}\r\n\r\n${qp.wrap(qp.encode(text), 76)}`, 'utf8'), messageId };
}
