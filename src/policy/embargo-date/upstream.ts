/** Whether a disclosure is an upstream notice, as its sender says on a line of its own. */
import { BULLET } from './lines';

/**
 * "Upstream: yes" / "Upstream notice: yes|true" on a line of its own (not quoted, bold and bullets
 * allowed): the post is an upstream notice. A "no"/"false" line anywhere makes it not one.
 */
export function isUpstreamNotice(text: string): boolean {
  let yes = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*>/.test(raw)) continue;
    const m = /^upstream(?:\s+notice)?[*_]{0,3}\s*:[*_]{0,3}\s*(yes|true|no|false)[*_]{0,3}\s*[.!]?\s*$/i.exec(
      raw.replace(BULLET, ''),
    );
    if (!m) continue;
    if (/^(?:no|false)$/i.test(m[1]!)) return false;
    yes = true;
  }
  return yes;
}
