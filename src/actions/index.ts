import type { Outcome } from '../chains/inbound';
import { applicantReply } from './applicant-reply';
import { confirmation } from './confirmation';
import { discard } from './discard';
import { hold } from './hold';
import { joinRequest } from './join-request';
import { moderatorCommand } from './moderator-command';
import { refuse } from './refuse';
import { relay } from './relay';
import type { Action } from './types';
import { unsubscribe } from './unsubscribe';
import { help } from './help';
import { bounce } from './bounce';
import { ack } from './ack';
import { leakReport } from './leak-report';
import { openDisclosureAction } from './open-disclosure';
import { threadPost } from './thread-post';

/** One action per outcome. */
export const ACTIONS: Record<Outcome, Action> = {
  relay, discard, hold, 'join-request': joinRequest, 'moderator-command': moderatorCommand,
  'applicant-reply': applicantReply, confirmation, unsubscribe, refuse, help,
  'open-disclosure': openDisclosureAction, 'thread-post': threadPost, ack, 'leak-report': leakReport, bounce,
};
