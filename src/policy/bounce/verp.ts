/**
 * VERP: the member a bounce is about is named by a token after a plus in the bounce address
 * (list-bounces+TOKEN@domain), read from the envelope recipient first, then from To.
 */
import { domainOf, localPartOf, parseAddressList } from '../../message/address';
import type { BounceInput } from './types';

const TOKEN = /^[A-Za-z0-9._=+-]{1,64}$/;

/** list-bounces@lists.example.org + token -> list-bounces+token@lists.example.org */
export function verpAddress(bounceAddress: string, token: string): string {
  const [local, domain] = split(bounceAddress.trim());
  if (local === '' || domain === '')
    throw new RangeError(`the bounce address ${JSON.stringify(bounceAddress)} is not an address`);
  if (!TOKEN.test(token))
    throw new RangeError(`a VERP token is 1 to 64 of A-Z a-z 0-9 . _ = + -, not ${JSON.stringify(token.slice(0, 80))}`);
  if (local.length + 1 + token.length > 64)
    throw new RangeError(`the VERP address ${local}+${token}@${domain} has a local part longer than 64 characters`);
  return `${local}+${token}@${domain}`;
}

/** The token of list-bounces+token@domain, or null when the address is not a VERP form of bounceAddress. */
export function verpTokenOf(bounceAddress: string, address: string): string | null {
  const [local, domain] = split(bounceAddress.trim());
  if (local === '' || domain === '') return null;
  const [aLocal, aDomain] = split(address.trim().replace(/^<(.*)>$/, '$1'));
  if (aDomain.toLowerCase() !== domain.toLowerCase()) return null;
  if (aLocal.slice(0, local.length + 1).toLowerCase() !== `${local}+`.toLowerCase()) return null;
  const token = aLocal.slice(local.length + 1);
  return TOKEN.test(token) ? token : null;
}

/** The envelope recipient first (as the delivering MTA recorded it), then the To header. */
export function findVerpToken(input: Pick<BounceInput, 'headers' | 'to' | 'bounceAddress'>): string | null {
  const candidates = [
    ...['x-original-to', 'delivered-to', 'envelope-to', 'x-envelope-to'].flatMap((h) =>
      (input.headers.get(h) ?? []).flatMap((v) => parseAddressList(v).map((a) => a.address)),
    ),
    ...input.to,
  ];
  for (const c of candidates) {
    if (input.bounceAddress !== undefined) {
      const token = verpTokenOf(input.bounceAddress, c);
      if (token !== null) return token;
      continue;
    }
    const local = localPartOf(c);
    const plus = local.indexOf('+');
    const token = plus > 0 ? local.slice(plus + 1) : '';
    if (TOKEN.test(token)) return token;
  }
  return null;
}

/** [local part, domain]; an address without an @ is all local part. */
function split(address: string): [string, string] {
  return [localPartOf(address), domainOf(address)];
}
