import { headerAnomalies } from '../message/header-anomalies';
import type { Rule } from './types';

/** Header lines that readers split differently (bare CR or LF, NUL, a line that is no field): held, never acted on. */
export const headerAnomaly: Rule = {
  name: 'header-anomaly',
  use: 'reason',
  description:
    'A header line holds a bare CR, a bare LF in a message with CRLF line ends, a NUL or another control character, or is not a field, so that readers may see different fields.',
  check(msg) {
    const found = headerAnomalies(msg.raw);
    return found.length === 0 ? null : found.map((a) => `header line ${a.line}: ${a.problem}`).join('; ');
  },
};
