import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import { headerValue, splitMessage } from '../../../src/message/headers';
import {
  authenticateSender,
  judgeAuthenticationResults,
  parseAuthenticationResults,
  verifyWithMailauth,
  type RawHeaderField,
  type TxtResolver,
} from '../../../src/policy/sender-auth';

const TRUSTED = ['mx.lists.example.org'];
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'auth');

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** The header fields of a raw message, top first, values unfolded: what the pipeline hands in. */
function fieldsOf(raw: Buffer): RawHeaderField[] {
  return splitMessage(raw)
    .headers.filter((h) => h.name !== '')
    .map((h) => ({ name: h.name, value: headerValue(h) }));
}

/** Header fields from [name, value] pairs; a From for mod@example.org is added at the bottom. */
function fields(...pairs: Array<[string, string]>): RawHeaderField[] {
  return [...pairs.map(([name, value]) => ({ name, value })), { name: 'From', value: 'Mo Derator <mod@example.org>' }];
}

const AR = (value: string): [string, string] => ['Authentication-Results', value];
const RECEIVED: [string, string] = [
  'Received',
  'from relay.evil.example ([203.0.113.66]) by mx.lists.example.org with ESMTP id X; Tue, 04 Mar 2025 10:00:00 +0000',
];

describe('policy/sender-auth', () => {
  const SELECTOR = 'sel2025';
  let privateKey = '';
  let publicKeyTxt: string[] = [];

  before(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const record = `v=DKIM1; k=rsa; p=${der}`;
    // TXT character-strings hold at most 255 bytes; a long record comes in pieces.
    publicKeyTxt = record.match(/.{1,255}/g) ?? [];
  });

  function notFound(name: string): Error {
    return Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND', hostname: name });
  }

  /** Answers the DKIM key of each signing domain and DMARC records; everything else does not exist. */
  function resolverFor(domains: string[], dmarc: Record<string, string> = {}, asked: string[] = []): TxtResolver {
    return async (name, rrtype) => {
      asked.push(`${rrtype} ${name}`);
      const lower = name.toLowerCase();
      if (rrtype === 'TXT' && domains.some((d) => lower === `${SELECTOR}._domainkey.${d}`)) return [publicKeyTxt];
      const policy = dmarc[lower];
      if (rrtype === 'TXT' && policy !== undefined) return [[policy]];
      throw notFound(name);
    };
  }

  async function signed(signingDomain: string, opts: { skipFields?: string } = {}): Promise<Buffer> {
    const transport = nodemailer.createTransport({
      streamTransport: true,
      buffer: true,
      newline: 'windows',
      dkim: {
        domainName: signingDomain,
        keySelector: SELECTOR,
        privateKey,
        ...(opts.skipFields ? { skipFields: opts.skipFields } : {}),
      },
    });
    const info = await transport.sendMail({
      from: 'Mo Derator <mod@example.org>',
      to: 'list-request@lists.example.org',
      subject: 'Re: join request from security@vendor.example',
      messageId: '<reply-1@example.org>',
      date: new Date('2025-03-04T09:59:58Z'),
      text: 'APPROVE\n',
    });
    return info.message as Buffer;
  }

  /**
   * Signs with mailauth's own signer, for the tags nodemailer does not write (l=, x=). Its
   * index.d.ts wants signingDomain, selector and privateKey at the top level too, but dkimSign
   * reads only signatureData; they are given in both places to satisfy the types.
   */
  async function mailauthSigned(message: Buffer, extra: { maxBodyLength?: number; expires?: Date }): Promise<Buffer> {
    const key = { signingDomain: 'example.org', selector: SELECTOR, privateKey };
    const { signatures } = await dkimSign(message, {
      ...key,
      signTime: new Date('2025-03-04T10:00:00Z'),
      ...(extra.expires ? { expires: extra.expires } : {}),
      signatureData: [{ ...key, ...(extra.maxBodyLength !== undefined ? { maxBodyLength: extra.maxBodyLength } : {}) }],
    });
    return Buffer.concat([Buffer.from(signatures), message]);
  }

  describe('parseAuthenticationResults', () => {
    it('reads the authserv-id, skips its version number, and reads each method, result and property', () => {
      const ar = parseAuthenticationResults(
        'mx.lists.example.org 1; dkim=pass (good) header.d=example.org header.s=sel; dmarc=PASS header.from=Example.org',
      );
      assert.ok(ar);
      assert.equal(ar.authservId, 'mx.lists.example.org');
      assert.deepEqual(
        ar.results.map((r) => [r.method, r.result, Object.fromEntries(r.props)]),
        [
          ['dkim', 'pass', { 'header.d': 'example.org', 'header.s': 'sel' }],
          ['dmarc', 'pass', { 'header.from': 'Example.org' }],
        ],
      );
    });

    it('lets nothing inside a comment count, nested comments included', () => {
      const ar = parseAuthenticationResults(
        'mx.lists.example.org; dkim=fail (dkim=pass (header.d=example.org); dmarc=pass) header.d=example.org',
      );
      assert.ok(ar);
      assert.deepEqual(
        ar.results.map((r) => `${r.method}=${r.result}`),
        ['dkim=fail'],
      );
    });

    it('keeps a semicolon inside a quoted string from starting a result of its own', () => {
      const ar = parseAuthenticationResults(
        'mx.lists.example.org; spf=pass reason="x; dmarc=pass header.from=example.org" smtp.mailfrom=a@example.org',
      );
      assert.ok(ar);
      assert.deepEqual(
        ar.results.map((r) => r.method),
        ['spf'],
      );
    });

    it('reads spaces around the equals sign and base64 padding in header.b', () => {
      const ar = parseAuthenticationResults(
        'mx.lists.example.org; dkim = pass header.d = example.org header.b=ab+/cd==',
      );
      assert.ok(ar);
      assert.deepEqual(Object.fromEntries(ar.results[0]!.props), { 'header.d': 'example.org', 'header.b': 'ab+/cd==' });
    });

    it('reads "authserv-id; none" as no results at all', () => {
      assert.deepEqual(parseAuthenticationResults('mx.lists.example.org; none'), {
        authservId: 'mx.lists.example.org',
        results: [],
        malformed: 0,
      });
    });

    it('gives up on a value whose comment is never closed', () => {
      assert.equal(parseAuthenticationResults('mx.lists.example.org; dkim=pass (unclosed header.d=example.org'), null);
    });

    it('gives up on a value that starts with a result instead of an authserv-id', () => {
      assert.equal(parseAuthenticationResults('dkim=pass header.d=example.org'), null);
    });
  });

  describe('judgeAuthenticationResults', () => {
    it('authenticates a reply whose trusted Authentication-Results say dkim=pass aligned and dmarc=pass for the From domain', () => {
      const v = judgeAuthenticationResults(fieldsOf(fixture('ar-dmarc-pass.eml')), 'mod@example.org', TRUSTED);
      assert.equal(v.authenticated, true);
      assert.equal(v.method, 'authentication-results');
      assert.equal(v.fromDomain, 'example.org');
      assert.equal(v.failed, false);
      assert.ok(
        v.evidence.includes(
          'Authentication-Results from mx.lists.example.org: dmarc=pass header.from=example.org (counts only with an aligned dkim=pass)',
        ),
        v.evidence.join('\n'),
      );
      assert.match(
        v.decidedBy,
        /^header field 3 \(Authentication-Results from mx\.lists\.example\.org\): dkim=pass header\.d=example\.org .*\(example\.org aligned with example\.org\)$/,
      );
    });

    it('authenticates dkim=pass from a subdomain of the From domain (header.d=mail.example.org for example.org)', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=pass header.d=mail.example.org header.s=s1')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, true);
      assert.ok(v.evidence.some((e) => e.includes('mail.example.org aligned with example.org')));
    });

    it('authenticates dkim=pass by the domain of header.i when header.d is missing', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=pass header.i=@example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, true);
    });

    it('matches the authserv-id without regard to case, in the header and in the configuration', () => {
      const headers = fields(
        AR('MX.Lists.EXAMPLE.org; DKIM=Pass header.d=Example.ORG; DMARC=Pass header.from=example.org'),
      );
      assert.equal(judgeAuthenticationResults(headers, 'mod@example.org', TRUSTED).authenticated, true);
      assert.equal(
        judgeAuthenticationResults(headers, 'mod@example.org', ['MX.LISTS.EXAMPLE.ORG']).authenticated,
        true,
      );
    });

    it('accepts header.from written in another case than the From address', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=pass header.d=example.org; dmarc=pass header.from=EXAMPLE.Org')),
        'Mod@Example.ORG',
        TRUSTED,
      );
      assert.equal(v.authenticated, true);
    });

    it('accepts dmarc=pass reporting the organizational domain for a From at a subdomain', () => {
      const headers = [
        {
          name: 'Authentication-Results',
          value: 'mx.lists.example.org; dkim=pass header.d=lists.example.org; dmarc=pass header.from=example.org',
        },
        { name: 'From', value: 'mod@lists.example.org' },
      ];
      assert.equal(judgeAuthenticationResults(headers, 'mod@lists.example.org', TRUSTED).authenticated, true);
    });

    it('matches a Unicode From domain with the A-label the host wrote in header.from', () => {
      const headers = [
        {
          name: 'Authentication-Results',
          value:
            'mx.lists.example.org; dkim=pass header.d=xn--bcher-kva.example; dmarc=pass header.from=xn--bcher-kva.example',
        },
      ];
      assert.equal(judgeAuthenticationResults(headers, 'mod@bücher.example', TRUSTED).authenticated, true);
    });

    it('does not authenticate dkim=pass for another domain', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=pass header.d=evil.example')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
      assert.equal(v.method, null);
      assert.ok(v.evidence.some((e) => e.includes('evil.example not aligned with example.org')));
    });

    it('does not align two names under a shared public suffix (example.co.uk and other.co.uk)', () => {
      const headers = [
        { name: 'Authentication-Results', value: 'mx.lists.example.org; dkim=pass header.d=other.co.uk' },
      ];
      assert.equal(judgeAuthenticationResults(headers, 'mod@example.co.uk', TRUSTED).authenticated, false);
    });

    it('does not authenticate dmarc=fail', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=fail header.d=example.org; dmarc=fail header.from=example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate dmarc=pass for another From domain', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dmarc=pass header.from=evil.example')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate on spf=pass alone', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; spf=pass smtp.mailfrom=mod@example.org; dkim=none')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
      assert.ok(v.evidence.some((e) => e.includes('SPF alone never authenticates')));
    });

    it('does not believe Authentication-Results from an authserv-id that is not trusted', () => {
      const v = judgeAuthenticationResults(
        fields(AR('evil.example; dmarc=pass header.from=example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
      assert.ok(v.evidence.includes('ignored Authentication-Results from evil.example (not trusted)'));
    });

    it('does not take an authserv-id that merely starts with a trusted one for it', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org.evil.example; dmarc=pass header.from=example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate a message without any Authentication-Results', () => {
      const v = judgeAuthenticationResults(fields(RECEIVED, ['Subject', 'Re: hello']), 'mod@example.org', TRUSTED);
      assert.equal(v.authenticated, false);
      assert.ok(v.evidence.some((e) => e.startsWith('no Authentication-Results from a trusted host')));
    });

    it('believes nothing when no authserv-id is configured', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dmarc=pass header.from=example.org')),
        'mod@example.org',
        [],
      );
      assert.equal(v.authenticated, false);
    });

    it("ignores a forged trusted Authentication-Results that the sender wrote below the trusted host's own failing one", () => {
      const v = judgeAuthenticationResults(fieldsOf(fixture('ar-forged-below-own.eml')), 'mod@example.org', TRUSTED);
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.includes('Authentication-Results from mx.lists.example.org: dmarc=fail header.from=example.org'),
        v.evidence.join('\n'),
      );
      assert.ok(
        v.evidence.includes('ignored Authentication-Results from mx.lists.example.org below the topmost block'),
        v.evidence.join('\n'),
      );
    });

    it('ignores a forged trusted Authentication-Results below a Received field when no trusted one is above it', () => {
      const v = judgeAuthenticationResults(
        fieldsOf(fixture('ar-forged-no-trusted-above.eml')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.some((e) =>
          e.startsWith('ignored Authentication-Results from mx.lists.example.org below 1 Received header field'),
        ),
        v.evidence.join('\n'),
      );
    });

    it('believes results below one delivery Received field only when the configuration allows one', () => {
      const headers = fieldsOf(fixture('ar-below-lmtp-received.eml'));
      assert.equal(judgeAuthenticationResults(headers, 'mod@example.org', TRUSTED).authenticated, false);
      assert.equal(
        judgeAuthenticationResults(headers, 'mod@example.org', TRUSTED, { maxReceivedAbove: 1 }).authenticated,
        true,
      );
    });

    it('counts a trusted field directly below the first one as part of the topmost block', () => {
      const v = judgeAuthenticationResults(
        fields(
          AR('mx.lists.example.org; spf=pass smtp.mailfrom=mod@example.org'),
          AR('other.example; none'),
          AR('mx.lists.example.org; dkim=pass header.d=example.org'),
          RECEIVED,
        ),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, true);
    });

    it('ends the topmost block at the first field of another name, ARC-Authentication-Results included', () => {
      const v = judgeAuthenticationResults(
        fields(
          AR('mx.lists.example.org; dkim=none'),
          ['ARC-Authentication-Results', 'i=1; mx.lists.example.org; dmarc=pass header.from=example.org'],
          AR('mx.lists.example.org; dmarc=pass header.from=example.org'),
        ),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.includes('ignored Authentication-Results from mx.lists.example.org below the topmost block'),
      );
    });

    it('lets an untrusted field inside the topmost block say nothing', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=none'), AR('evil.example; dmarc=pass header.from=example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('is not fooled by a comment that says dkim=pass', () => {
      const v = judgeAuthenticationResults(
        fields(
          AR(
            'mx.lists.example.org; dkim=fail (dkim=pass header.d=example.org) header.d=example.org; dmarc=none (dmarc=pass header.from=example.org)',
          ),
        ),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('is not fooled by a result smuggled into a quoted reason', () => {
      const v = judgeAuthenticationResults(
        fields(
          AR(
            'mx.lists.example.org; spf=pass reason="ok; dmarc=pass header.from=example.org" smtp.mailfrom=mod@example.org',
          ),
        ),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('does not count a result that names its signing domain twice', () => {
      const v = judgeAuthenticationResults(
        fields(AR('mx.lists.example.org; dkim=pass header.d=evil.example header.d=example.org')),
        'mod@example.org',
        TRUSTED,
      );
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate a From with two addresses', () => {
      const from = 'mod@example.org, attacker@evil.example';
      const headers = [
        { name: 'Authentication-Results', value: 'mx.lists.example.org; dmarc=pass header.from=example.org' },
        { name: 'From', value: from },
      ];
      const v = judgeAuthenticationResults(headers, from, TRUSTED);
      assert.equal(v.authenticated, false);
      assert.equal(v.fromDomain, '');
    });

    it('does not authenticate a message with two From header fields', () => {
      const headers = fields(AR('mx.lists.example.org; dmarc=pass header.from=example.org'), [
        'From',
        'attacker@evil.example',
      ]);
      assert.equal(judgeAuthenticationResults(headers, 'mod@example.org', TRUSTED).authenticated, false);
    });

    it('does not authenticate when the From header field names another domain than the one asked about', () => {
      const headers = [
        { name: 'Authentication-Results', value: 'mx.lists.example.org; dmarc=pass header.from=example.org' },
        { name: 'From', value: 'attacker@evil.example' },
      ];
      assert.equal(judgeAuthenticationResults(headers, 'mod@example.org', TRUSTED).authenticated, false);
    });
  });

  describe('judgeAuthenticationResults: failing closed', () => {
    const judge = (...pairs: Array<[string, string]>) =>
      judgeAuthenticationResults(fields(...pairs), 'mod@example.org', TRUSTED);
    const ID = 'mx.lists.example.org';
    const OPENDMARC_PASS = AR(`${ID}; dmarc=pass (p=reject dis=none) header.from=example.org`);
    const OPENDKIM_PASS = AR(
      `${ID}; dkim=pass (2048-bit key; unprotected) header.d=example.org header.i=@example.org header.a=rsa-sha256 header.s=sel1 header.b=Vj1kiqs9; dkim-atps=neutral`,
    );

    it('authenticates the two fields a Postfix, OpenDKIM and OpenDMARC host writes for a signed mail', () => {
      const v = judge(OPENDMARC_PASS, OPENDKIM_PASS, RECEIVED);
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
      assert.match(v.decidedBy, /^header field 2 \(Authentication-Results from mx\.lists\.example\.org\): dkim=pass/);
    });

    it('refuses a forged dmarc=pass directly under the host\'s own "dkim=none; dmarc=fail"', () => {
      const v = judge(
        AR(`${ID}; dkim=none; dmarc=fail header.from=example.org`),
        AR(`${ID}; dmarc=pass header.from=example.org`),
        RECEIVED,
      );
      assert.equal(v.authenticated, false);
      assert.equal(v.failed, true);
      assert.match(v.decidedBy, /^header field 1 .*dmarc=fail header\.from=example\.org$/);
    });

    it('refuses a forged "dkim=pass; dmarc=pass" directly under the host\'s own failing field', () => {
      const v = judge(
        AR(`${ID}; dkim=none; dmarc=fail header.from=example.org`),
        AR(`${ID}; dkim=pass header.d=example.org; dmarc=pass header.from=example.org`),
      );
      assert.equal(v.authenticated, false);
      assert.equal(v.failed, true);
    });

    it('refuses one trusted field that carries both a pass and a fail', () => {
      assert.equal(
        judge(AR(`${ID}; dkim=pass header.d=example.org; dmarc=fail header.from=example.org`)).authenticated,
        false,
      );
      assert.equal(
        judge(
          AR(
            `${ID}; dkim=pass header.d=example.org; dmarc=pass header.from=example.org; dmarc=fail header.from=example.org`,
          ),
        ).authenticated,
        false,
      );
    });

    it('refuses a dmarc=pass that comes without an aligned dkim=pass (OpenDMARC believing a forged spf=pass)', () => {
      const v = judge(
        OPENDMARC_PASS,
        AR(`${ID}; dkim=none; dkim-atps=neutral`),
        RECEIVED,
        AR(`${ID}; spf=pass smtp.mailfrom=example.org`),
      );
      assert.equal(v.authenticated, false);
      assert.equal(v.failed, false);
      assert.match(v.decidedBy, /dmarc=pass without a dkim=pass aligned with example\.org/);
    });

    it("refuses a dkim=pass written beside the host's own dkim=none", () => {
      const v = judge(AR(`${ID}; dkim=none`), AR(`${ID}; dkim=pass header.d=example.org header.s=sel1`));
      assert.equal(v.authenticated, false);
      assert.match(v.decidedBy, /dkim=none \(no signature\) contradicts dkim=pass in header field 2/);
    });

    it('refuses a pass and a failure for the same signature, header.b shortened or not', () => {
      assert.equal(
        judge(
          AR(`${ID}; dkim=fail header.d=example.org header.s=sel1 header.b=AbCdEfGh`),
          AR(`${ID}; dkim=pass header.d=example.org header.s=sel1 header.b=AbCdEfGhIjKl`),
        ).authenticated,
        false,
      );
      assert.equal(
        judge(
          AR(
            `${ID}; dkim=policy header.d=example.org header.s=sel1 header.b=AbCdEfGh; dkim=pass header.d=example.org header.s=sel1 header.b=AbCdEfGh`,
          ),
        ).authenticated,
        false,
      );
    });

    it('refuses a failure that names no header.b when a pass of the same signer and selector is beside it', () => {
      assert.equal(
        judge(
          AR(`${ID}; dkim=fail header.d=example.org; dkim=pass header.d=example.org header.s=sel1 header.b=AbCdEfGh`),
        ).authenticated,
        false,
      );
      assert.equal(
        judge(AR(`${ID}; dkim=fail; dkim=pass header.d=example.org header.b=AbCdEfGh`)).authenticated,
        false,
        'a failure naming no signer at all',
      );
    });

    it('keeps authenticating a good signature beside a broken one of the same domain (another header.b)', () => {
      const v = judge(
        OPENDMARC_PASS,
        AR(
          `${ID}; dkim=fail reason="signature verification failed" header.d=example.org header.s=old header.b=ZzYyXxWw; dkim=pass header.d=example.org header.s=sel1 header.b=Vj1kiqs9`,
        ),
        RECEIVED,
      );
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
      assert.ok(v.evidence.some((e) => e.includes('is another signature than the one that passed')));
    });

    it("keeps authenticating when a third party's signature is broken", () => {
      assert.equal(
        judge(
          OPENDMARC_PASS,
          AR(
            `${ID}; dkim=fail header.d=esp.example header.b=QqQqQqQq; dkim=pass header.d=example.org header.b=Vj1kiqs9`,
          ),
        ).authenticated,
        true,
      );
    });

    it('refuses an aligned signature that failed when none passed, whatever the failure is called', () => {
      for (const result of ['fail', 'permerror', 'neutral', 'policy', 'FAIL']) {
        const v = judge(AR(`${ID}; dkim=${result} header.d=example.org header.b=AbCdEfGh`));
        assert.equal(v.authenticated, false, result);
        assert.equal(v.failed, true, result);
      }
    });

    it('counts a dkim=temperror as no pass but not as a failure', () => {
      const v = judge(AR(`${ID}; dkim=temperror header.d=example.org`));
      assert.equal(v.authenticated, false);
      assert.equal(v.failed, false);
    });

    it('refuses a DMARC result judged for another From domain', () => {
      assert.equal(judge(OPENDKIM_PASS, AR(`${ID}; dmarc=pass header.from=evil.example`)).authenticated, false);
    });

    it('refuses DMARC results that disagree, upper case included', () => {
      assert.equal(
        judge(
          AR(`${ID}; dkim=pass header.d=example.org; DMARC=PASS header.from=example.org`),
          AR(`${ID}; DMARC=NONE header.from=example.org`),
        ).authenticated,
        false,
      );
      assert.equal(
        judge(AR(`${ID}; dkim=pass header.d=example.org; DMARC=FAIL header.from=EXAMPLE.ORG`)).authenticated,
        false,
      );
    });

    it('refuses when a trusted field in the block cannot be read, or holds a result that cannot be read', () => {
      assert.equal(
        judge(OPENDKIM_PASS, AR(`${ID}; dmarc=fail (unclosed comment header.from=example.org`)).authenticated,
        false,
      );
      assert.equal(
        judge(AR(`${ID}; dkim=pass header.d=example.org; dmarc fail header.from=example.org`)).authenticated,
        false,
      );
    });

    it("reads a DMARC result with a bare property such as Microsoft's action=none", () => {
      assert.equal(
        judge(
          AR(
            `${ID}; dkim=pass (signature was verified) header.d=example.org;dmarc=pass action=none header.from=example.org;compauth=pass reason=100`,
          ),
        ).authenticated,
        true,
      );
    });
  });

  describe('verifyWithMailauth', () => {
    it('authenticates a message correctly signed by example.org', async () => {
      const asked: string[] = [];
      const v = await verifyWithMailauth(
        await signed('example.org'),
        'mod@example.org',
        resolverFor(['example.org'], { '_dmarc.example.org': 'v=DMARC1; p=reject' }, asked),
      );
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
      assert.equal(v.method, 'dkim-verified');
      assert.equal(v.fromDomain, 'example.org');
      assert.ok(
        v.evidence.includes(`DKIM signature d=example.org s=${SELECTOR}: pass, aligned with example.org`),
        v.evidence.join('\n'),
      );
      assert.ok(
        v.evidence.some((e) => e.startsWith('DMARC for example.org: pass')),
        v.evidence.join('\n'),
      );
      assert.deepEqual(asked, [`TXT ${SELECTOR}._domainkey.example.org`, 'TXT _dmarc.example.org']);
    });

    it('authenticates a message signed by a subdomain of the From domain with no DMARC record', async () => {
      const v = await verifyWithMailauth(
        await signed('mail.example.org'),
        'mod@example.org',
        resolverFor(['mail.example.org']),
      );
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
    });

    it('does not authenticate the same message with its body changed', async () => {
      const raw = (await signed('example.org')).toString('latin1').replace('APPROVE', 'REJECT');
      const v = await verifyWithMailauth(Buffer.from(raw, 'latin1'), 'mod@example.org', resolverFor(['example.org']));
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.some((e) => e.includes('body hash did not verify')),
        v.evidence.join('\n'),
      );
    });

    it('does not authenticate a message signed by evil.example with a From at example.org', async () => {
      const v = await verifyWithMailauth(
        await signed('evil.example'),
        'mod@example.org',
        resolverFor(['evil.example'], { '_dmarc.example.org': 'v=DMARC1; p=reject' }),
      );
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.includes(`DKIM signature d=evil.example s=${SELECTOR}: pass, but not aligned with example.org`),
        v.evidence.join('\n'),
      );
      assert.ok(
        v.evidence.some((e) => e.startsWith('DMARC for example.org: fail')),
        v.evidence.join('\n'),
      );
    });

    it('does not authenticate an unsigned message', async () => {
      const raw = Buffer.from(
        'From: mod@example.org\r\nTo: list-request@lists.example.org\r\nSubject: Re: x\r\n\r\nAPPROVE\r\n',
      );
      const v = await verifyWithMailauth(
        raw,
        'mod@example.org',
        resolverFor([], { '_dmarc.example.org': 'v=DMARC1; p=none' }),
      );
      assert.equal(v.authenticated, false);
      assert.equal(v.method, null);
    });

    it('does not authenticate a signature that leaves the From header field unsigned', async () => {
      const v = await verifyWithMailauth(
        await signed('example.org', { skipFields: 'from' }),
        'mod@example.org',
        resolverFor(['example.org']),
      );
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.some((e) => e.includes('does not cover the From header field')),
        v.evidence.join('\n'),
      );
    });

    it('does not authenticate a message with a second From field put on top of a signed one', async () => {
      // The signature covers the bottom From; a reader sees the top one. Same domain or not, two is one too many.
      const raw = Buffer.concat([Buffer.from('From: Boss <boss@example.org>\r\n'), await signed('example.org')]);
      const v = await verifyWithMailauth(raw, 'mod@example.org', resolverFor(['example.org']));
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate text appended after a signature limited by l=', async () => {
      const message = Buffer.from(
        'From: mod@example.org\r\nTo: list-request@lists.example.org\r\nSubject: Re: x\r\n\r\nthanks\r\n',
      );
      const signedLength = message.length - message.indexOf('\r\n\r\n') - 4;
      const raw = Buffer.concat([
        await mailauthSigned(message, { maxBodyLength: signedLength }),
        Buffer.from('APPROVE\r\n'),
      ]);
      const v = await verifyWithMailauth(raw, 'mod@example.org', resolverFor(['example.org']));
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.some((e) => e.includes('body bytes unsigned')),
        v.evidence.join('\n'),
      );
    });

    it('honours the signature expiry against the clock it is given', async () => {
      const message = Buffer.from(
        'From: mod@example.org\r\nTo: list-request@lists.example.org\r\nSubject: Re: x\r\n\r\nAPPROVE\r\n',
      );
      const raw = await mailauthSigned(message, { expires: new Date('2025-03-05T10:00:00Z') });
      const before = await verifyWithMailauth(
        raw,
        'mod@example.org',
        resolverFor(['example.org']),
        new Date('2025-03-04T12:00:00Z'),
      );
      const after = await verifyWithMailauth(
        raw,
        'mod@example.org',
        resolverFor(['example.org']),
        new Date('2025-03-06T12:00:00Z'),
      );
      assert.equal(before.authenticated, true, before.evidence.join('\n'));
      assert.equal(after.authenticated, false);
    });

    it('does not authenticate, and does not throw, when DNS fails', async () => {
      const failing: TxtResolver = async () => {
        throw Object.assign(new Error('queryTxt ESERVFAIL'), { code: 'ESERVFAIL' });
      };
      const v = await verifyWithMailauth(await signed('example.org'), 'mod@example.org', failing);
      assert.equal(v.authenticated, false);
      assert.ok(
        v.evidence.some((e) => e.includes('temperror')),
        v.evidence.join('\n'),
      );
    });

    it('does not authenticate when asked about another From than the message has', async () => {
      const v = await verifyWithMailauth(
        await signed('example.org'),
        'boss@other.example',
        resolverFor(['example.org']),
      );
      assert.equal(v.authenticated, false);
    });
  });

  describe('authenticateSender', () => {
    const unsigned = Buffer.from(
      'From: mod@example.org\r\nTo: list-request@lists.example.org\r\nSubject: Re: x\r\n\r\nAPPROVE\r\n',
    );
    const noDns: TxtResolver = async (name) => {
      throw new Error(`no DNS expected, asked for ${name}`);
    };

    it('lets its own failing verification decide over trusted Authentication-Results that pass', async () => {
      // The fixture's trusted field says dkim=pass and dmarc=pass, but its signature is made up.
      const raw = fixture('ar-dmarc-pass.eml');
      const v = await authenticateSender(raw, fieldsOf(raw), 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver: resolverFor(['example.org']),
      });
      assert.equal(v.authenticated, false, v.evidence.join('\n'));
      assert.match(
        v.decidedBy,
        /^the daemon's own DKIM verification: not authenticated: no DKIM signature aligned with example\.org passed$/,
      );
      assert.ok(
        v.evidence.some((e) => e.startsWith('Authentication-Results from mx.lists.example.org: dkim=pass')),
        'the header evidence is kept',
      );
    });

    it('authenticates by its own verification of a good signature, with trusted results that agree', async () => {
      const raw = await signed('example.org');
      const headers = [
        {
          name: 'Authentication-Results',
          value: 'mx.lists.example.org; dkim=pass header.d=example.org; dmarc=pass header.from=example.org',
        },
        ...fieldsOf(raw),
      ];
      const v = await authenticateSender(raw, headers, 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver: resolverFor(['example.org']),
      });
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
      assert.equal(v.method, 'dkim-verified');
    });

    it('refuses a good signature that a trusted host saw fail, without looking anything up', async () => {
      const raw = await signed('example.org');
      const headers = [
        {
          name: 'Authentication-Results',
          value: 'mx.lists.example.org; dkim=pass header.d=example.org; dmarc=fail header.from=example.org',
        },
        ...fieldsOf(raw),
      ];
      const v = await authenticateSender(raw, headers, 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver: noDns,
      });
      assert.equal(v.authenticated, false);
      assert.equal(v.failed, true);
      assert.match(v.decidedBy, /dmarc=fail header\.from=example\.org$/);
    });

    it('falls back to its own verification and keeps the evidence of both', async () => {
      const asked: string[] = [];
      const resolver: TxtResolver = async (name, rrtype) => {
        asked.push(`${rrtype} ${name}`);
        throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      };
      const headers = fields(AR('evil.example; dmarc=pass header.from=example.org'));
      const v = await authenticateSender(unsigned, headers, 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver,
      });
      assert.equal(v.authenticated, false);
      assert.equal(v.method, null);
      assert.ok(v.evidence.includes('ignored Authentication-Results from evil.example (not trusted)'));
      assert.ok(v.evidence.includes('DKIM: none (message not signed)'), v.evidence.join('\n'));
      assert.deepEqual(asked, ['TXT _dmarc.example.org']);
    });

    it('authenticates by its own verification when the Authentication-Results do not suffice', async () => {
      const raw = await signed('example.org');
      const headers = [
        { name: 'Authentication-Results', value: 'mx.lists.example.org; dkim=temperror header.d=example.org' },
        ...fieldsOf(raw),
      ];
      const v = await authenticateSender(raw, headers, 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver: resolverFor(['example.org']),
      });
      assert.equal(v.authenticated, true, v.evidence.join('\n'));
      assert.equal(v.method, 'dkim-verified');
      assert.equal(
        v.evidence[0],
        'Authentication-Results from mx.lists.example.org: dkim=temperror header.d=example.org',
      );
    });

    it('does not verify by itself when verification is off', async () => {
      const v = await authenticateSender(unsigned, fieldsOf(unsigned), 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: false,
        resolver: noDns,
      });
      assert.equal(v.authenticated, false);
    });

    it('does not authenticate a forged Authentication-Results on an unsigned message', async () => {
      const raw = fixture('ar-forged-no-trusted-above.eml');
      const v = await authenticateSender(raw, fieldsOf(raw), 'mod@example.org', {
        trustedAuthservIds: TRUSTED,
        verify: true,
        resolver: async () => {
          throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
        },
      });
      assert.equal(v.authenticated, false);
    });
  });
});
