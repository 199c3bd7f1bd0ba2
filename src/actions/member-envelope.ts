import { bounceAddress } from '../config';
import type { Context } from '../context';
import { verpAddress } from '../policy/bounce';
import { verpTokenFor } from '../store/members';

/** Each member's copy leaves with its own envelope sender (VERP), so that a bounce names the member. */
export function memberEnvelope(ctx: Context): (recipient: string) => string | null {
  const base = bounceAddress(ctx.config);
  return (recipient) => {
    const token = verpTokenFor(ctx.db, recipient);
    return token ? verpAddress(base, token) : null;
  };
}
