import { header } from '../message/parse';
import type { Rule } from './types';

/** Our own X-Loop on an incoming message: it has been through this list before. */
export const loop: Rule = {
  name: 'loop',
  description: 'The message carries the X-Loop header this list puts on everything it sends.',
  check(msg, snap) {
    const ours = snap.listAddress.toLowerCase();
    const hit = header(msg, 'x-loop').some((v) => v.toLowerCase().includes(ours));
    return hit ? `X-Loop names ${snap.listAddress}` : null;
  },
};
