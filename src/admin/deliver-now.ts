import type { Context } from '../context';
import { createTransport } from '../mail/transport';
import { Deliverer } from '../runners/deliver';

/** One delivery pass from a one-shot command; what fails for now stays queued for the daemon. */
export async function deliverNow(ctx: Context): Promise<void> {
  const transport = createTransport(ctx.config);
  try {
    const result = await new Deliverer(ctx, transport).drainOnce();
    ctx.log.info(result, `DELIVERY_PASS sent=${result.sent} deferred=${result.retried} failed=${result.failed}`);
  } finally {
    transport.close();
  }
}
