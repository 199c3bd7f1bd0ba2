/** The alias: an address in the alias answer, else one the applicant asks us to subscribe. Pure, linear. */

/** Every e-mail address in the text, lower-cased, scanning outward from each "@" (linear). */
function findAddresses(text: string, limit: number): string[] {
  const isLocal = (ch: string): boolean => /[A-Za-z0-9._%+-]/.test(ch);
  const isDomain = (ch: string): boolean => /[A-Za-z0-9.-]/.test(ch);
  const out: string[] = [];
  for (let at = text.indexOf('@'); at >= 0 && out.length < limit; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s < 64 && isLocal(text[s - 1]!)) s--;
    let e = at + 1;
    while (e < text.length && e - at < 254 && isDomain(text[e]!)) e++;
    while (s < at && text[s] === '.') s++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    const local = text.slice(s, at);
    const domain = text.slice(at + 1, e);
    const labels = domain.split('.');
    if (local === '' || local.includes('..') || labels.length < 2 || labels.some((l) => l === '')) continue;
    if (!/^[a-z]{2,}$/i.test(labels[labels.length - 1]!)) continue;
    out.push(`${local}@${domain}`.toLowerCase());
  }
  return out;
}

/** "please subscribe x@y", "subscribe our alias <x@y> to the list": the first address soon after. */
function subscribeRequest(text: string): string | null {
  const re = /\bsubscribe\b/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const found = findAddresses(text.slice(m.index, m.index + 120), 1)[0];
    if (found) return found;
  }
  return null;
}

export function findAlias(aliasAnswer: string | undefined, ownText: string): string | null {
  const inAnswer = aliasAnswer === undefined ? undefined : findAddresses(aliasAnswer, 1)[0];
  return inAnswer ?? subscribeRequest(ownText);
}
