/** Mail as the trusted receiving host hands it over: with its Authentication-Results on top. */
import { makeMessage, type MessageOptions } from '../../helpers/mail-factory';
import type { Received } from '../harness/smtp-peer';
import { REQUESTS, TRUSTED_MX } from './daemon';

export function authResults(domain: string, result: 'pass' | 'fail' = 'pass'): string {
  return `Authentication-Results: ${TRUSTED_MX}; dkim=${result} header.d=${domain} header.s=sel; dmarc=${result} header.from=${domain}\r\n`;
}

/** A message whose sender the trusted host authenticated (or, with result "fail", did not). */
export function authenticatedMessage(opts: MessageOptions, result: 'pass' | 'fail' = 'pass'): Buffer {
  const domain = opts.from.replace(/.*@/, '').replace(/>.*/, '');
  return Buffer.concat([Buffer.from(authResults(domain, result)), makeMessage(opts)]);
}

/** A reply to a mail the daemon sent, to the requests address unless told otherwise. */
export function replyTo(
  to: Received,
  opts: { from: string; body: string; auth?: boolean; subject?: string; address?: string },
): Buffer {
  const message: MessageOptions = {
    from: opts.from,
    to: opts.address ?? REQUESTS,
    subject: opts.subject ?? `Re: ${to.headers.get('subject')![0]}`,
    inReplyTo: to.messageId,
    references: [to.messageId!],
    body: opts.body,
  };
  return opts.auth ? authenticatedMessage(message) : makeMessage(message);
}
