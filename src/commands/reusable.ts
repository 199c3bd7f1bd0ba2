import type { TokenPurpose } from '../store/tokens';

/** Tokens that serve more than one keyword: a thread's, for every EMBARGO until the LIFT. */
export const REUSABLE: ReadonlySet<TokenPurpose> = new Set(['thread']);
