/** Postfix without a status part: "<address>: reason" lines; a warning is a delay. */
import { readAngleLines } from './angle-lines';
import type { NoticeDetector } from './types';

export const postfix: NoticeDetector = {
  name: 'postfix',
  detect: /I'm sorry to have to inform you|This is the mail system at host/i,
  read: (t) => readAngleLines(t, /THIS IS A WARNING ONLY|still being retried|will continue to try/i.test(t)),
};
