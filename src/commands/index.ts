import type { TokenPurpose } from '../store/tokens';
import { approve } from './approve';
import { ask } from './ask';
import { reject } from './reject';
import { confirmRemove } from './remove';
import type { Command } from './types';

/** Which keywords act on which kind of token, and what they do. */
export const COMMANDS: ReadonlyMap<TokenPurpose, ReadonlyMap<string, Command>> = new Map([
  ['moderate', new Map<string, Command>([['APPROVE', approve], ['REJECT', reject], ['ASK', ask]])],
  ['remove', new Map<string, Command>([['CONFIRM', confirmRemove]])],
]);
