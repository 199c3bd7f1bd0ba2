/**
 * Alias liveness (criterion 1 asks for an actively monitored alias): every policy.probeDays each
 * member alias gets a short probe with a token; the answer is recorded (and may re-affirm the
 * embargo policy). A probe not answered within policy.probeGraceDays is reported to the
 * moderators with a removal proposal, by the expiry clock.
 */
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import { formatUtc } from '../policy/embargo-date';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { markProbed, membersToProbe } from '../store/members';
import { createToken } from '../store/tokens';

const DAY = 86_400_000;

export function runProbes(ctx: Context): { probed: number } {
  return transaction(ctx.db, () => {
    const { policy } = ctx.config;
    const at = nowIso(ctx);
    const before = new Date(ctx.clock().getTime() - policy.probeDays * DAY).toISOString();
    let probed = 0;
    for (const m of membersToProbe(ctx.db, before)) {
      markProbed(ctx.db, m.id, at);
      const token = createToken(ctx.db, {
        purpose: 'probe',
        subject: m.address,
        at: ctx.clock(),
        days: policy.probeGraceDays,
      });
      sendTemplate(ctx, null, {
        template: 'member.action.probe',
        to: [m.address],
        messageId: tokenMessageId(ctx.config, token, 'probe'),
        verp: true,
        params: {
          address: m.address,
          organization: m.organization,
          token,
          due: formatUtc(new Date(ctx.clock().getTime() + policy.probeGraceDays * DAY)),
        },
      });
      appendAudit(ctx.db, { at, actor: 'daemon', action: 'member.probe', object: m.address });
      probed += 1;
    }
    if (probed > 0) queueMicrotask(ctx.outboxChanged);
    return { probed };
  });
}
