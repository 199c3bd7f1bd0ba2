/** Exim and Gmail name what failed (never what is delayed) in an X-Failed-Recipients header. */
import { plainAddress } from './fields';
import type { Found } from './types';

export function readFailedRecipientsHeader(headers: Map<string, string[]>): Found[] {
  return (headers.get('x-failed-recipients') ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => plainAddress(v))
    .filter((a): a is string => a !== null)
    .map((address) => ({ address, diagnostic: null, delayed: false }));
}
