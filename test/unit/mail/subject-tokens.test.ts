/** render(): no parameter, at any depth, puts text of our token format into a subject; the template's own "tk-" does. */
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors';
import { loadTemplates, render, type TemplateSet } from '../../../src/mail/templates';
import { findTokens } from '../../../src/message/tokens';

const OURS = 'abcdefghijklmnopqrstuvwxyz';
const PLANTED = 'zyxwvutsrqponmlkjihgfedcba';
const base = {
  listName: 'Example Security',
  listAddress: 'security@lists.example.org',
  requestsAddress: 'security-requests@lists.example.org',
};

const tokensOf = (subject: string): string[] => findTokens({ inReplyTo: null, references: [], subject });

describe('mail/templates: tokens in subjects', () => {
  const shipped = loadTemplates();

  it("defangs a nested parameter (view.organization) but keeps the template's own token", () => {
    const out = render(shipped, 'moderator.action.join-request', {
      ...base,
      id: 1,
      token: OURS,
      criteria: [],
      superseded: null,
      reason: null,
      expires: 'x',
      view: {
        organization: `tk-${PLANTED}`,
        alias: 'a@b.example',
        applicant: 'x',
        createdAt: 'x',
        blocking: [],
        warnings: [],
        missing: [],
        acceptsEmbargo: true,
      },
    });
    assert.deepEqual(tokensOf(out.subject), [OURS]);
    assert.ok(out.text.includes(`Organization: tk-${PLANTED}`), 'the body shows what the applicant wrote');
  });

  it('defangs a parameter inside an array as well', () => {
    const set: TemplateSet = new Map([
      ['moderator.notice.x', `Subject: {{#items}}{{name}} {{/items}}(tk-{{token}})\n\nbody\n`],
    ]);
    const out = render(set, 'moderator.notice.x', { token: OURS, items: [{ name: `TK-${PLANTED.toUpperCase()}` }] });
    assert.deepEqual(tokensOf(out.subject), [OURS]);
  });

  for (const template of [
    'moderator.action.held-post',
    'moderator.notice.held-expired',
    'requester.notice.post-rejected',
    'member.action.ack-reminder',
  ]) {
    it(`keeps a sender's planted token out of the subject of ${template}`, () => {
      const out = render(shipped, template, {
        ...base,
        id: 3,
        token: OURS,
        subject: `=?utf-8?q?tk=2D${PLANTED}?= tk-\u200b${PLANTED}`,
        prefix: '[#3]',
        reasons: [],
        holdDays: 14,
      });
      assert.deepEqual(
        tokensOf(out.subject).filter((t) => t !== OURS),
        [],
        out.subject,
      );
      assert.doesNotMatch(out.subject, /=\?/, 'no encoded word a reader would decode');
    });
  }

  it('refuses (TEMPLATE_TOKEN_PLANTED) a subject where two values side by side read as a token', () => {
    const set: TemplateSet = new Map([['moderator.notice.x', 'Subject: {{a}}{{b}} (tk-{{token}})\n\nbody\n']]);
    assert.throws(
      () => render(set, 'moderator.notice.x', { token: OURS, a: 'tk', b: `-${PLANTED}` }),
      (err: unknown) => err instanceof AppError && err.code === 'TEMPLATE_TOKEN_PLANTED',
    );
  });

  it('renders our token parameter unchanged, in any template that writes tk-{{token}}', () => {
    const set: TemplateSet = new Map([['moderator.notice.x', 'Subject: Hello (tk-{{token}})\n\nbody\n']]);
    assert.equal(render(set, 'moderator.notice.x', { token: OURS }).subject, `Hello (tk-${OURS})`);
  });
});
