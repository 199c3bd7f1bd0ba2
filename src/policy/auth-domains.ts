/**
 * Domains as sender authentication compares them: normalized A-labels, relaxed alignment
 * (RFC 7489), and the one From domain a message may be judged for. Pure.
 */
import { getDomain } from 'tldts';
import { domainOf as domainAsWritten, normalizeDomain, parseAddressList } from '../message/address';
import type { RawHeaderField } from './auth-types';

/** The domain of "user@domain", "@domain" or a bare domain, normalized. */
export function domainOf(value: string): string {
  return normalizeDomain(value.includes('@') ? domainAsWritten(value) : value);
}

/** Organizational (registrable) domain; private suffixes such as github.io count as suffixes. */
export function orgDomain(domain: string): string | null {
  return getDomain(domain, { allowPrivateDomains: true });
}

/** Relaxed alignment (RFC 7489 3.1.1): same domain, or the same organizational domain. */
export function aligned(a: string, b: string): boolean {
  const x = normalizeDomain(a);
  const y = normalizeDomain(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  const ox = orgDomain(x);
  return ox !== null && ox === orgDomain(y);
}

/**
 * The one From domain to judge. `fromAddress` may be a bare address or a whole From value; it
 * must hold exactly one address, and the header fields, when they include From, must agree.
 */
export function fromDomainOf(fromAddress: string, headers: RawHeaderField[]): { domain: string } | { problem: string } {
  const list = parseAddressList(fromAddress);
  if (list.length !== 1) {
    return { problem: `From holds ${list.length} addresses; authentication needs exactly one` };
  }
  const domain = domainOf(list[0]!.address);
  if (domain === '') return { problem: `From address ${list[0]!.address} has no usable domain` };
  const fields = headers.filter((h) => h.name.toLowerCase() === 'from');
  if (fields.length > 1) return { problem: `the message has ${fields.length} From header fields` };
  if (fields.length === 1) {
    const inHeader = parseAddressList(fields[0]!.value);
    if (inHeader.length !== 1)
      return { problem: `the From header field holds ${inHeader.length} addresses; authentication needs exactly one` };
    if (domainOf(inHeader[0]!.address) !== domain) {
      return { problem: `the From header field names ${domainOf(inHeader[0]!.address)}, not ${domain}` };
    }
  }
  return { domain };
}

// eslint-disable-next-line no-control-regex
export const show = (v: string): string => v.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
