import { headerAnomalies } from '../message/header-anomalies';
import type { Rule } from './types';

/** Header lines that readers split differently (bare CR or LF, NUL, a line that is no field): held, never acted on. */
export const headerAnomaly: Rule = {
  name: 'header-anomaly',
  description: 'The header holds a bare CR or LF, a NUL or other control character, or a line that is not a field, so that readers may see different fields.',
  check(msg) {
    const found = headerAnomalies(msg.raw);
    return found.length === 0 ? null : found.map((a) => `header line ${a.line}: ${a.problem}`).join('; ');
  },
};
