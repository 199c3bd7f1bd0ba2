/**
 * Microsoft: the addresses under "Delivery has failed to these recipients or groups:" (or the
 * older "could not be reached:"), each with the reason that follows it, and the code the
 * "Diagnostic information for administrators" gives under the same address.
 */
import { ADDRESS_LINE, lines, plainAddress } from './fields';
import { MAX_RECIPIENTS, type Found, type NoticeDetector } from './types';

function readMicrosoft(text: string): Found[] {
  const delayed = /Delivery has been delayed|hasn't been delivered yet|will (?:continue|keep) (?:to )?try/i.test(text);
  const admin = /^Diagnostic information for administrators:?\s*$/im.exec(text);
  const userPart = admin ? text.slice(0, admin.index) : text;
  const adminPart = admin ? text.slice(admin.index) : '';
  const found = new Map<string, string[]>();
  const start =
    /(?:Delivery has (?:failed|been delayed) to these recipients or groups:|recipient\(s\) (?:could not|cannot) be reached:)/i.exec(
      userPart,
    );
  let current: string[] | null = null;
  if (start) {
    for (const line of lines(userPart.slice(start.index + start[0].length))) {
      const m = ADDRESS_LINE.exec(line) ?? /^\s*[^@<>()\n]{1,80}\(([^()\s]+@[^()\s]+)\)/.exec(line);
      const address = m ? plainAddress(m[1]!) : null;
      if (address !== null) {
        current = found.get(address) ?? [];
        found.set(address, current);
        const rest = line
          .slice(m![0].length)
          .replace(/<mailto:[^>]*>/gi, '')
          .trim();
        if (rest && !/^on \d/.test(rest)) current.push(rest);
      } else if (current && line.trim() !== '') {
        current.push(line.trim());
      }
    }
  }
  for (const m of userPart.matchAll(/Your message to (\S+?) couldn't be delivered/gi)) {
    const a = plainAddress(m[1]!);
    if (a !== null && !found.has(a)) found.set(a, []);
  }
  const adminLines = lines(adminPart);
  for (let i = 0; i < adminLines.length; i += 1) {
    const m = ADDRESS_LINE.exec(adminLines[i]!);
    const address = m ? plainAddress(m[1]!) : null;
    const next = adminLines[i + 1] ?? '';
    const code =
      /Remote Server returned '([^']*)'/i.exec(next)?.[1] ??
      /^#?(\d{3}[ -]\d\.\d{1,3}\.\d{1,3}[^#]*)#*/.exec(next.trim())?.[1];
    if (address !== null && code !== undefined) found.set(address, [code.trim(), ...(found.get(address) ?? [])]);
  }
  return [...found]
    .slice(0, MAX_RECIPIENTS)
    .map(([address, diag]) => ({ address, diagnostic: diag.join(' ') || null, delayed }));
}

export const microsoft: NoticeDetector = {
  name: 'microsoft',
  detect:
    /Delivery has (?:failed|been delayed) to these recipients or groups|recipient\(s\) (?:could not|cannot) be reached|couldn't be delivered|did not reach some or all of the intended recipients/i,
  read: readMicrosoft,
};
