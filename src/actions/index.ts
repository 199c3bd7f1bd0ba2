import type { Outcome } from '../chains/inbound';
import { discard } from './discard';
import { hold } from './hold';
import { relay } from './relay';
import type { Action } from './types';

/** One action per outcome. */
export const ACTIONS: Record<Outcome, Action> = { relay, discard, hold };
