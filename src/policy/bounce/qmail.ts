/** qmail-send: "<address>:" paragraphs; temporary when it says so and never says permanent. */
import { readAngleLines } from './angle-lines';
import type { NoticeDetector } from './types';

export const qmail: NoticeDetector = {
  name: 'qmail',
  detect: /This is the qmail-send program/i,
  read: (t) => readAngleLines(t, /This is a temporary error|I'll keep trying/i.test(t) && !/permanent error/i.test(t)),
};
