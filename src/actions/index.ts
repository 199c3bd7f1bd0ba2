import { applicantReply } from './applicant-reply';
import { confirmation } from './confirmation';
import { discard } from './discard';
import { hold } from './hold';
import { joinRequest } from './join-request';
import { moderatorCommand } from './moderator-command';
import { refuse } from './refuse';
import { relay } from './relay';
import type { ActionTable, Keywords } from './types';
import { unsubscribe } from './unsubscribe';
import { help } from './help';
import { bounce } from './bounce';
import { ack } from './ack';
import { leakReport } from './leak-report';
import { openDisclosureAction } from './open-disclosure';
import { threadPost } from './thread-post';
import { keyConfirmation, memberKey } from './member-key';

/**
 * One action per outcome. The moderators' keywords are handed in (commands/ builds on the
 * actions' helpers, so actions/ does not import it); runners/pipeline puts the two together.
 */
export function actionsWith(keywords: Keywords): ActionTable {
  return {
    relay,
    discard,
    hold,
    'join-request': joinRequest,
    'moderator-command': (ctx, input) => moderatorCommand(ctx, input, keywords),
    'applicant-reply': applicantReply,
    confirmation,
    'member-key': memberKey,
    'key-confirmation': keyConfirmation,
    unsubscribe,
    refuse,
    help,
    'open-disclosure': openDisclosureAction,
    'thread-post': threadPost,
    ack,
    'leak-report': leakReport,
    bounce,
  };
}
