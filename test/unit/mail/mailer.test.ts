import assert from 'node:assert/strict';
import fs from 'node:fs';
import Mustache from 'mustache';
import { z } from 'zod';
import { refusalSentences, sendTemplate } from '../../../src/actions/send';
import type { Context } from '../../../src/context';
import { AppError } from '../../../src/errors';
import {
  BASE_PARAMS,
  isPartial,
  MAIL_KINDS,
  type MailKind,
  type MailParams,
  type RefusalReason,
} from '../../../src/mail/mailer';
import { loadTemplates, render, renderBody, type TemplateSet } from '../../../src/mail/templates';
import { TEMPLATES_DIR } from '../../helpers/context';

type Schema = z.ZodType;
type Token = [string, string, number, number, Token[]?];

function unwrap(s: Schema): Schema {
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as Schema;
  return s;
}

/** Resolves a Mustache name as Mustache does: the first context, innermost first, that has its first segment. */
function lookup(stack: Schema[], name: string): Schema | undefined {
  if (name === '.') return stack[stack.length - 1];
  const [first, ...rest] = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const ctx = unwrap(stack[i]!);
    if (!(ctx instanceof z.ZodObject) || !(first! in ctx.shape)) continue;
    let s: Schema | undefined = ctx.shape[first!] as Schema;
    for (const seg of rest) {
      const u = unwrap(s!);
      if (u instanceof z.ZodObject && seg in u.shape) s = u.shape[seg] as Schema;
      else if (u instanceof z.ZodArray && seg === 'length') s = z.number();
      else return undefined;
    }
    return s;
  }
  return undefined;
}

/** Every variable, section and partial of a template that its parameters do not declare. */
function undeclared(set: TemplateSet, tokens: Token[], stack: Schema[], seen: string[] = []): string[] {
  const out: string[] = [];
  for (const [type, value, , , children] of tokens) {
    if (type === 'name' || type === '&' || type === '#' || type === '^') {
      const s = lookup(stack, value);
      if (!s) {
        out.push(`{{${type === 'name' ? '' : type}${value}}}`);
        continue;
      }
      if (type === '#') {
        const u = unwrap(s);
        out.push(
          ...undeclared(set, children ?? [], [...stack, u instanceof z.ZodArray ? (u.element as Schema) : u], seen),
        );
      } else if (type === '^') out.push(...undeclared(set, children ?? [], stack, seen));
    } else if (type === '>') {
      const partial = set.get(value);
      if (!isPartial(value) || partial === undefined) out.push(`{{> ${value}}} (no such partial)`);
      else if (!seen.includes(value))
        out.push(...undeclared(set, Mustache.parse(partial) as Token[], stack, [...seen, value]));
    }
  }
  return out;
}

function rootOf(kind: MailKind): Schema {
  return z.object({ ...BASE_PARAMS.shape, ...(MAIL_KINDS[kind] as z.ZodObject).shape });
}

const base = {
  listName: 'Example Security',
  listAddress: 'security@lists.example.org',
  requestsAddress: 'security-requests@lists.example.org',
};
const TOKEN = 'abcdefghijklmnopqrstuvwxyz';

describe('mail/mailer', () => {
  let set: TemplateSet;
  before(() => {
    set = loadTemplates(TEMPLATES_DIR);
  });

  describe('the kinds and the template files', () => {
    it('gives every template file in templates/ a kind, but the partials', () => {
      const files = fs
        .readdirSync(TEMPLATES_DIR)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => f.slice(0, -4));
      assert.deepEqual(
        files.filter((f) => !isPartial(f) && !(f in MAIL_KINDS)),
        [],
      );
    });

    it('gives every kind a template file', () => {
      assert.deepEqual(
        Object.keys(MAIL_KINDS).filter((k) => !set.has(k)),
        [],
      );
    });

    it('declares every variable, section and partial that each template uses', () => {
      const problems: string[] = [];
      for (const kind of Object.keys(MAIL_KINDS) as MailKind[]) {
        for (const u of undeclared(set, Mustache.parse(set.get(kind)!) as Token[], [rootOf(kind)]))
          problems.push(`${kind}: ${u}`);
      }
      assert.deepEqual(problems, []);
    });

    it('finds an undeclared variable, one inside a section, a misspelt path and a missing partial (the check can fail)', () => {
      const stack = [rootOf('moderator.action.join-request')];
      const check = (text: string): string[] => undeclared(set, Mustache.parse(text) as Token[], stack);
      assert.deepEqual(check('{{organisation}}'), ['{{organisation}}']);
      assert.deepEqual(check('{{#criteria}}{{n}}{{answr}}{{/criteria}}'), ['{{answr}}']);
      assert.deepEqual(check('{{view.organizaton}} {{view.others.length}}'), ['{{view.organizaton}}']);
      assert.deepEqual(check('{{> moderator.partial.nothing}} {{> alias.notice.welcome}}'), [
        '{{> moderator.partial.nothing}} (no such partial)',
        '{{> alias.notice.welcome}} (no such partial)',
      ]);
      assert.deepEqual(check('{{#view.others}}{{sameAddress}} {{id}} {{token}}{{/view.others}}'), []);
    });

    it('checks at compile time: a misspelt kind, a missing or a mistyped parameter does not compile', () => {
      const ctx = {} as Context;
      // Never called: these lines are checked by tsc (an unused @ts-expect-error fails the build).
      // Each call stays on one line, so that its @ts-expect-error covers the whole call.
      // prettier-ignore
      const neverCalled = (): void => {
        // @ts-expect-error a kind that does not exist
        sendTemplate(ctx, null, { template: 'moderator.action.join-requests', to: [], params: {} });
        // @ts-expect-error a missing parameter (token)
        sendTemplate(ctx, null, { template: 'member.action.confirm-unsubscribe', to: [], params: { address: 'a@example.org' } });
        // @ts-expect-error a mistyped parameter (id is a number)
        sendTemplate(ctx, null, { template: 'moderator.notice.request-waiting', to: [], params: { id: '7' } });
        // @ts-expect-error a parameter no template reads
        sendTemplate(ctx, null, { template: 'moderator.notice.request-waiting', to: [], params: { id: 7, reason: 'x' } });
        // @ts-expect-error a footer is never sent as a mail
        sendTemplate(ctx, null, { template: 'member.footer.disclosure', to: [], params: { id: 1, listName: '', embargoed: true, upstream: false, end: null, liftedAt: null } });
      };
      assert.equal(typeof neverCalled, 'function');
    });
  });

  describe('the sentences moved out of code, rendered as before', () => {
    const decided = (object: MailParams<'moderator.notice.already-decided'>['object']) =>
      render(set, 'moderator.notice.already-decided', {
        ...base,
        object,
        state: 'done',
        by: 'mod@example.org',
        when: '2026-03-10',
        reason: null,
      });

    it('names what a token was for, in the subject and the body', () => {
      const cases: [MailParams<'moderator.notice.already-decided'>['object'], string][] = [
        [{ request: 12, subject: 'null' }, 'request #12'],
        [{ remove: true, subject: 'a@b.example' }, 'the removal of a@b.example'],
        [{ held: true, subject: '7' }, 'held message 7'],
        [{ probe: true, subject: 'a@b.example' }, 'the probe of a@b.example'],
        [{ thread: true, subject: '3' }, 'disclosure #3'],
        [{ send: true, subject: 'x' }, 'the returned post'],
        [{ leak: true, subject: '4' }, 'the retrospective of leak #4'],
        [{ moderate: true, subject: '5' }, 'request 5'],
        [{ applicant: true, subject: '5' }, 'request 5'],
        [{ confirm: true, subject: '5' }, 'request 5'],
        [{ unsubscribe: true, subject: 'a@b.example' }, 'the unsubscription of a@b.example'],
      ];
      for (const [object, what] of cases) {
        const r = decided(object);
        assert.equal(r.subject, `[Example Security] Already decided: ${what}`);
        assert.match(
          r.text,
          new RegExp(`^Your reply was not acted on: ${what.replace(/[.#]/g, '\\$&')} was already decided\\.\n`),
        );
      }
    });

    it('defangs a token-shaped subject of a token that reaches the subject through the partial', () => {
      const r = decided({ remove: true, subject: `x tk-${TOKEN}@evil.example` });
      assert.doesNotMatch(r.subject, new RegExp(`tk-${TOKEN}`));
      assert.match(
        r.text,
        new RegExp(`the removal of x tk-${TOKEN}@evil\\.example`),
        'the body is not a header and keeps the text',
      );
    });

    it('writes each refusal reason as the sentence the code used to write', () => {
      const ctx = { templates: set } as Context;
      const reasons: [RefusalReason, string][] = [
        [{ notModerator: true }, 'the sender is not a configured moderator'],
        [{ notAuthenticated: true, detail: 'dkim=fail' }, 'the sender is not authenticated: dkim=fail'],
        [{ notAuthenticated: true, detail: '' }, 'the sender is not authenticated: '],
        [{ unknownToken: true }, 'it carries a token that this list never issued (forged or altered)'],
        [
          { keywordWithoutToken: true },
          'it carries a keyword but no token of a mail we sent: keywords only count in reply to our mail',
        ],
        [{ removeNotModerator: true }, 'REMOVE was sent by an address that is not a moderator'],
        [
          { alternativesDisagree: true },
          'its plain-text and HTML versions do not carry the same keyword, so neither was acted on (hidden HTML text does not count; send the keyword where both versions show it)',
        ],
        [{ firstLine: true, keyword: 'APPROVE', argument: null }, 'the first line reads APPROVE'],
        [{ firstLine: true, keyword: 'REJECT', argument: 'spam' }, 'the first line reads REJECT spam'],
        [
          { notApplicant: true, request: 9, from: 'x@evil.example', applicant: 'a@b.example' },
          'the answer to request #9 came from x@evil.example, not from the applicant a@b.example',
        ],
        [{ plain: true, detail: 'no token' }, 'no token'],
      ];
      assert.deepEqual(
        refusalSentences(
          ctx,
          reasons.map(([r]) => r),
        ),
        reasons.map(([, s]) => s),
      );
    });

    it('renders hostile text in a reason as text: no Mustache tag, no partial, no HTML escaping', () => {
      const ctx = { templates: set } as Context;
      const hostile = '{{> alias.notice.welcome}} {{#notModerator}}x{{/notModerator}} <b>&"';
      assert.deepEqual(
        refusalSentences(ctx, [
          { plain: true, detail: hostile },
          { firstLine: true, keyword: 'APPROVE', argument: hostile },
        ]),
        [hostile, `the first line reads APPROVE ${hostile}`],
      );
    });

    it('tells the moderators why a join request comes again, as before', () => {
      const params = {
        ...base,
        id: 3,
        token: TOKEN,
        superseded: null,
        expires: 'x',
        criteria: [],
        view: {
          organization: 'Org',
          alias: 'a@org.example',
          applicant: 'b@org.example',
          createdAt: 'now',
          authenticated: true,
          authEvidence: 'dkim',
          acceptsEmbargo: true,
          others: [],
          blocking: [],
          warnings: [],
          missing: [],
        },
      };
      const expired = render(set, 'moderator.action.join-request', {
        ...params,
        expiredTokenFrom: 'mod@example.org',
        reminder: false,
      }).text;
      assert.match(
        expired,
        /\n\nA reply from mod@example\.org carried an expired token; this copy carries a new one\.\n\nCriteria and answers:/,
      );
      const reminder = render(set, 'moderator.action.join-request', {
        ...params,
        expiredTokenFrom: null,
        reminder: true,
      }).text;
      assert.match(reminder, /\n\nReminder: this request is still waiting for a decision\.\n\nCriteria and answers:/);
      const neither = render(set, 'moderator.action.join-request', {
        ...params,
        expiredTokenFrom: null,
        reminder: false,
      }).text;
      assert.doesNotMatch(neither, /Reminder|expired token/);
    });

    it('says what changed in a disclosure, and what was wrong with a confirmation', () => {
      const changed = { ...base, id: 2, subject: 'S', actor: 'mod@example.org' };
      const moved = render(set, 'moderator.notice.disclosure-changed', {
        ...changed,
        movedTo: '2026-04-01 00:00 UTC',
        lifted: false,
      });
      assert.equal(moved.subject, '[Example Security] Disclosure #2: embargo end moved to 2026-04-01 00:00 UTC');
      assert.match(moved.text, /^mod@example\.org: embargo end moved to 2026-04-01 00:00 UTC \(disclosure #2, "S"\)\./);
      const lifted = render(set, 'moderator.notice.disclosure-changed', { ...changed, movedTo: null, lifted: true });
      assert.match(lifted.text, /^mod@example\.org: embargo lifted; the thread is public \(disclosure #2, "S"\)\./);
      const noKeyword = render(set, 'requester.notice.confirmation-problem', { ...base, noKeyword: true }).text;
      assert.match(noKeyword, /^Your reply was not accepted: the first line of your reply is not CONFIRM\.\n/);
      const expired = render(set, 'requester.notice.confirmation-problem', {
        ...base,
        problem: 'the token expired',
        expired: true,
      }).text;
      assert.match(expired, /^Your reply was not accepted: the token expired\.\n/);
    });
  });

  describe('partials and fragments are never a mail alone', () => {
    it('refuses to render a partial, a fragment or a footer as a mail', () => {
      for (const name of [
        'moderator.partial.token-object',
        'moderator.fragment.refusal-reason',
        'member.footer.disclosure',
      ]) {
        assert.throws(
          () => render(set, name, base),
          (e: unknown) => e instanceof AppError && e.code === 'TEMPLATE_MISSING',
          name,
        );
      }
    });

    it('includes only partials: a template that names another mail as a partial gets nothing', () => {
      const withMail = new Map(set);
      withMail.set('member.fragment.t', 'a{{> alias.notice.welcome}}b{{> moderator.partial.nothing}}c');
      assert.equal(renderBody(withMail, 'member.fragment.t', base), 'abc');
    });
  });
});
