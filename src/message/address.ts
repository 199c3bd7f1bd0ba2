/** Address helpers on top of nodemailer's RFC 5322 address parser. */
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';

export interface Address {
  name: string;
  address: string;
}

/** Every mailbox in an address-list header value, groups flattened, addresses lower-cased. */
export function parseAddressList(value: string | undefined): Address[] {
  if (!value) return [];
  return addressparser(value, { flatten: true })
    .filter((a) => a.address && isAddress(a.address))
    .map((a) => ({ name: a.name ?? '', address: normalizeAddress(a.address) }));
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** A plausible addr-spec: one @, a non-empty local part, a dotted domain, no spaces or controls. */
export function isAddress(address: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[^\s@<>()\u0000-\u001f]+@[^\s@<>()\u0000-\u001f]+\.[^\s@<>()\u0000-\u001f.]+$/.test(address.trim());
}

export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && normalizeAddress(a) === normalizeAddress(b);
}

/** The local part: everything before the last @ ("a@b@c" -> "a@b"); the whole text when there is no @. */
export function localPartOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at);
}

/** The domain as written: everything after the last @; '' when there is no @. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/** Lower-case ASCII (A-label) form of a domain, without a trailing dot; '' when it is not one. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (d === '' || /[\s@]/.test(d)) return '';
  return domainToASCII(d);
}
