import type { Keywords } from '../actions/types';
import { approve } from './approve';
import { ask } from './ask';
import { lift, moveEmbargo } from './embargo';
import { reject } from './reject';
import { confirmRemove } from './remove';
import { retro } from './retro';
import { approveHeldPost, discardHeldPost, rejectHeldPost } from './held';
import { sendAsIs, sendWithEnd } from './send';
import type { Command } from './types';

/** Which keywords act on which kind of token, and what they do. */
export const COMMANDS: Keywords['commands'] = new Map([
  [
    'moderate',
    new Map<string, Command>([
      ['APPROVE', approve],
      ['REJECT', reject],
      ['ASK', ask],
    ]),
  ],
  ['remove', new Map<string, Command>([['CONFIRM', confirmRemove]])],
  [
    'thread',
    new Map<string, Command>([
      ['EMBARGO', moveEmbargo],
      ['LIFT', lift],
    ]),
  ],
  [
    'send',
    new Map<string, Command>([
      ['SEND', sendAsIs],
      ['EMBARGO', sendWithEnd],
    ]),
  ],
  ['leak', new Map<string, Command>([['RETRO', retro]])],
  [
    'held',
    new Map<string, Command>([
      ['APPROVE', approveHeldPost],
      ['REJECT', rejectHeldPost],
      ['DISCARD', discardHeldPost],
    ]),
  ],
]);
