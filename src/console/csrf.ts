/**
 * CSRF defences for every POST: the request comes from a page of this console (Sec-Fetch-Site,
 * else Origin, else Referer; see sameOrigin), and, once
 * signed in, the form carries the session's token, compared in constant time.
 */
import crypto from 'node:crypto';

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = crypto.createHash('sha256').update(expected).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * True when the browser says the form came from this origin: Sec-Fetch-Site "same-origin" when
 * it sends that header (every current browser does; with Referrer-Policy no-referrer it is the
 * only signal, since Origin is then "null"), else Origin, else Referer, naming the Host header's
 * host. False when none is sent.
 */
export function sameOrigin(headers: {
  origin?: string;
  referer?: string;
  host?: string;
  'sec-fetch-site'?: string | string[];
}): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const host = headers.host?.toLowerCase();
  const from = headers.origin && headers.origin !== 'null' ? headers.origin : headers.referer;
  if (!host || !from) return false;
  try {
    const url = new URL(from);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host;
  } catch {
    return false;
  }
}
