import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src/errors';
import { loadTemplates, render, type TemplateSet } from '../../../src/mail/templates';
import { TEMPLATES_DIR } from '../../helpers/context';

function templateDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-templates-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function isAppError(code: string, mentions?: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AppError, `an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (mentions) assert.match(err.message, new RegExp(mentions.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    return true;
  };
}

const TOKEN = 'abcdefghijklmnopqrstuvwxyz';

const heldParams = {
  listName: 'Example Security',
  listAddress: 'security@lists.example.org',
  requestsAddress: 'security-requests@lists.example.org',
  addressedTo: 'security@lists.example.org',
  from: 'mallory@evil.example',
  subject: 'A subject',
  messageId: '<m@evil.example>',
  receivedAt: '2026-03-10T09:30:00.000Z',
  id: 7,
  token: TOKEN,
  reasons: ['first reason', 'second reason'],
  relayable: true,
  nonMember: true,
  expires: '2026-03-24 09:30 UTC',
};

describe('mail/templates', () => {
  const dirs: string[] = [];
  const dir = (files: Record<string, string>): string => {
    const d = templateDir(files);
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('loadTemplates', () => {
    it('finds the shipped templates/ directory when given no directory', () => {
      const set = loadTemplates();
      assert.ok(set.has('moderator.action.held-post'));
      assert.ok(set.has('moderator.notice.held-expired'));
    });

    it('loads every .txt file by its name without the extension, and nothing else', () => {
      const set = loadTemplates(
        dir({
          'a.notice.one.txt': 'Subject: one\n\nbody\n',
          'README.md': '# not a template',
          'b.notice.two.txt.bak': 'x',
        }),
      );
      assert.deepEqual([...set.keys()], ['a.notice.one']);
    });

    it('loads the shipped templates, each with a Subject line but the footers, fragments and partials', () => {
      const set = loadTemplates(TEMPLATES_DIR);
      assert.ok(set.size >= 1);
      for (const [name, text] of set) {
        if (['footer', 'fragment', 'partial'].includes(name.split('.')[1]!))
          assert.doesNotMatch(text, /^Subject: /, name);
        else assert.match(text.split('\n\n')[0]!, /^Subject: .+$/m, name);
      }
    });

    it('refuses a template without a Subject line before its first blank line, naming it', () => {
      const d = dir({ 'moderator.notice.bad.txt': 'Hello\n\nSubject: too late\n' });
      assert.throws(() => loadTemplates(d), isAppError('TEMPLATE_INVALID', 'moderator.notice.bad'));
    });

    it('refuses a template with broken Mustache syntax as TEMPLATE_INVALID, naming it', () => {
      const d = dir({ 'moderator.notice.broken.txt': 'Subject: x\n\n{{#reasons}}\n  - {{.}}\n' });
      assert.throws(() => loadTemplates(d), isAppError('TEMPLATE_INVALID', 'moderator.notice.broken'));
    });
  });

  describe('render', () => {
    let set: TemplateSet;
    before(() => {
      set = loadTemplates(TEMPLATES_DIR);
    });

    it('renders the held-post mail with its subject, token, number and every reason', () => {
      const r = render(set, 'moderator.action.held-post', heldParams);
      assert.equal(r.subject, `[Example Security] Held: A subject (tk-${TOKEN})`);
      assert.match(
        r.text,
        /^A message sent to security@lists\.example\.org was held: nothing was relayed and\nnothing was changed\. It waits for you as held message 7\.\n/,
      );
      assert.match(r.text, / {2}From: {7}mallory@evil\.example\n/);
      assert.match(r.text, / {2}- first reason\n {2}- second reason\n/);
      assert.match(r.text, /embargo-list held show 7 /);
      assert.match(r.text, /it expires at 2026-03-24 09:30 UTC\./);
    });

    it('offers APPROVE only for a message that was sent to the list; REJECT and DISCARD always', () => {
      const relayable = render(set, 'moderator.action.held-post', heldParams).text;
      assert.match(relayable, /^ {2}APPROVE {12}relay it to the members as it is$/m);
      const notRelayable = render(set, 'moderator.action.held-post', {
        ...heldParams,
        relayable: false,
        addressedTo: 'security-requests@lists.example.org',
      }).text;
      assert.doesNotMatch(notRelayable, /APPROVE/);
      for (const text of [relayable, notRelayable]) {
        assert.match(text, /^ {2}REJECT <reason> {4}drop it and send the reason to the sender$/m);
        assert.match(text, /^ {2}DISCARD {12}drop it silently$/m);
      }
    });

    it('shows the members add hint only for a non-member', () => {
      assert.match(
        render(set, 'moderator.action.held-post', heldParams).text,
        /embargo-list members add mallory@evil\.example --org/,
      );
      assert.doesNotMatch(
        render(set, 'moderator.action.held-post', { ...heldParams, nonMember: false }).text,
        /members add/,
      );
    });

    it('never leaves more than one blank line in a row', () => {
      for (const params of [{ ...heldParams, reasons: [], nonMember: false, relayable: false }, heldParams]) {
        assert.doesNotMatch(render(set, 'moderator.action.held-post', params).text, /\n\n\n/);
      }
    });

    it('writes values as plain text, without HTML escaping', () => {
      const r = render(set, 'moderator.action.held-post', {
        ...heldParams,
        subject: 'a < b & "c"',
        from: '"x"@example.org',
      });
      assert.equal(r.subject, `[Example Security] Held: a < b & "c" (tk-${TOKEN})`);
      assert.match(r.text, /Subject: {4}a < b & "c"\n/);
    });

    it('strips the line breaks of a value that lands in the subject', () => {
      const r = render(set, 'moderator.action.held-post', {
        ...heldParams,
        subject: 'hi\r\nBcc: attacker@evil.example\n',
      });
      assert.equal(r.subject, `[Example Security] Held: hi Bcc: attacker@evil.example (tk-${TOKEN})`);
      assert.doesNotMatch(r.subject, /[\r\n]/);
    });

    it('does not render Mustache tags that arrive inside a value', () => {
      const r = render(set, 'moderator.action.held-post', {
        ...heldParams,
        subject: '{{listAddress}} {{#reasons}}x{{/reasons}}',
      });
      assert.equal(r.subject, `[Example Security] Held: {{listAddress}} {{#reasons}}x{{/reasons}} (tk-${TOKEN})`);
    });

    it('renders the expiry notice and the rejection sent to the sender', () => {
      const expired = render(set, 'moderator.notice.held-expired', { ...heldParams, holdDays: 14 });
      assert.equal(expired.subject, '[Example Security] Held message 7 expired: A subject');
      assert.match(
        expired.text,
        /^Nobody acted on held message 7 from mallory@evil\.example \("A subject"\) within\n14 days\./,
      );
      const rejected = render(set, 'requester.notice.post-rejected', {
        ...heldParams,
        reason: 'Off topic for this list.',
      });
      assert.equal(rejected.subject, '[Example Security] Your message was not sent to the list: A subject');
      assert.match(rejected.text, /The moderators' reason:\n\n {2}Off topic for this list\.\n/);
    });

    it('refuses an unknown template name with TEMPLATE_MISSING', () => {
      assert.throws(
        () => render(set, 'member.notice.nonexistent', {}),
        isAppError('TEMPLATE_MISSING', 'member.notice.nonexistent'),
      );
    });

    it('renders a template saved with CRLF line ends like the same template saved with LF', () => {
      const text = 'Subject: Hello {{name}}\n\nDear {{name}},\nbody\n';
      const lfSet = loadTemplates(dir({ 'member.notice.t.txt': text }));
      const crlfSet = loadTemplates(dir({ 'member.notice.t.txt': text.replace(/\n/g, '\r\n') }));
      const fromLf = render(lfSet, 'member.notice.t', { name: 'Alice' });
      const fromCrlf = render(crlfSet, 'member.notice.t', { name: 'Alice' });
      assert.equal(fromCrlf.subject, fromLf.subject);
      assert.equal(fromCrlf.text.replace(/\r\n/g, '\n'), fromLf.text);
    });
  });
});
