import { parseAddressList } from '../message/address';
import { header } from '../message/parse';
import type { Rule } from './types';

/** Our own X-Loop on an incoming message: it has been through this list before. */
export const loop: Rule = {
  name: 'loop',
  use: 'reason',
  description: 'The message carries our own `X-Loop` (the list address), which the list puts on everything it sends.',
  check(msg, snap) {
    const ours = snap.listAddress.toLowerCase();
    // The exact address: another list whose address merely contains ours is not our loop.
    const hit = header(msg, 'x-loop').some((v) => parseAddressList(v).some((a) => a.address === ours));
    return hit ? `X-Loop names ${snap.listAddress}` : null;
  },
};
