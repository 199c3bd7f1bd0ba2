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
 * host, or being console.publicOrigin (behind a reverse proxy, which may send its own Host). False
 * when none is sent.
 */
export function sameOrigin(
  headers: {
    origin?: string;
    referer?: string;
    host?: string;
    'sec-fetch-site'?: string | string[];
  },
  publicOrigin: string | null = null,
): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const host = headers.host?.toLowerCase();
  const from = headers.origin && headers.origin !== 'null' ? headers.origin : headers.referer;
  if (!from) return false;
  try {
    const url = new URL(from);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (publicOrigin !== null && url.origin === new URL(publicOrigin).origin) return true;
    return host !== undefined && url.host.toLowerCase() === host;
  } catch {
    return false;
  }
}

/**
 * The Host headers the console answers (DNS rebinding: a name of the attacker's that resolves to
 * 127.0.0.1 brings its own Host, and is refused): listen.host:port; on loopback also localhost,
 * 127.0.0.1 and [::1] with the port; and console.publicOrigin's host. Lower case.
 */
export function allowedHosts(
  listen: { host: string; port: number },
  publicOrigin: string | null,
  loopback: boolean,
): Set<string> {
  const hostPort = (h: string) =>
    `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${listen.port}`.toLowerCase();
  const hosts = new Set<string>([hostPort(listen.host)]);
  if (loopback) for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(hostPort(h));
  if (publicOrigin !== null) hosts.add(new URL(publicOrigin).host.toLowerCase());
  return hosts;
}
