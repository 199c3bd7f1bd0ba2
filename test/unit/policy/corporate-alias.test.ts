import assert from 'node:assert/strict';
import {
  checkAlias,
  registrableDomain,
  type AliasCheckInput,
  type AliasFinding,
  type AliasFindingCode,
  type AliasPolicy,
} from '../../../src/policy/corporate-alias';

const OPEN: AliasPolicy = { allowDomains: [], denyDomains: [], organizationDomains: {} };

function input(alias: string | null, over: Partial<AliasCheckInput> = {}): AliasCheckInput {
  return { alias, fromAddress: 'alice@corp.example', fromName: 'Alice Example', organization: 'Corp', ...over };
}

function check(alias: string | null, over: Partial<AliasCheckInput> = {}, policy: AliasPolicy = OPEN): AliasFinding[] {
  return checkAlias(input(alias, over), policy);
}

function codes(findings: AliasFinding[]): AliasFindingCode[] {
  return findings.map((f) => f.code);
}

function only(findings: AliasFinding[], code: AliasFindingCode): AliasFinding {
  const hit = findings.filter((f) => f.code === code);
  assert.equal(hit.length, 1, `expected one ${code} in ${JSON.stringify(codes(findings))}`);
  return hit[0] as AliasFinding;
}

describe('policy/corporate-alias', () => {
  describe('registrableDomain', () => {
    it('gives the domain below the public suffix of an address', () => {
      assert.equal(registrableDomain('a@sec.corp.co.uk'), 'corp.co.uk');
      assert.equal(registrableDomain('argoprod@us.ibm.com'), 'ibm.com');
    });

    it('accepts a bare domain, in any case, with a trailing dot', () => {
      assert.equal(registrableDomain('SEC.Corp.CO.UK.'), 'corp.co.uk');
      assert.equal(registrableDomain('Security@Mail.Corp.Example.'), 'corp.example');
    });

    it('uses the private section, so tenants of a shared host are different owners', () => {
      assert.equal(registrableDomain('security@team-a.github.io'), 'team-a.github.io');
    });

    it('gives one punycode spelling for an internationalised domain, however it was written', () => {
      assert.equal(registrableDomain('security@sicherheit.münchen.de'), 'xn--mnchen-3ya.de');
      assert.equal(registrableDomain('security@sicherheit.xn--mnchen-3ya.de'), 'xn--mnchen-3ya.de');
      assert.equal(registrableDomain('MÜNCHEN.DE'), 'xn--mnchen-3ya.de');
    });

    it('is null for a public suffix, an address literal, a bare host name, garbage or nothing', () => {
      for (const s of [
        '',
        '   ',
        'co.uk',
        'a@co.uk',
        'a@[192.0.2.1]',
        '192.0.2.1',
        'a@localhost',
        'not an address',
        'a@-bad.example',
        'a@b..example',
      ]) {
        assert.equal(registrableDomain(s), null, s);
      }
    });
  });

  describe('a corporate team alias', () => {
    it('raises nothing for the examples of the published membership table', () => {
      const table: [string, string, string, string][] = [
        ['istio-security-team-inbox@aspenmesh.io', 'jane.doe@aspenmesh.io', 'Jane Doe', 'Aspen Mesh'],
        ['istio-security@redhat.com', 'jdoe@redhat.com', 'John Doe', 'RedHat'],
        ['security@rancher.com', 'mary.major@rancher.com', 'Mary Major', 'Rancher Labs'],
        ['istio-security@huawei.com', 'li.wei@huawei.com', 'Li Wei', 'Huawei'],
        ['istio-security-vulnerability-notifications@google.com', 'rroe@google.com', 'Richard Roe', 'Google'],
      ];
      for (const [alias, fromAddress, fromName, organization] of table) {
        assert.deepEqual(checkAlias({ alias, fromAddress, fromName, organization }, OPEN), [], alias);
      }
    });
  });

  describe('ALIAS_MISSING', () => {
    it('blocks a request without an alias', () => {
      for (const alias of [null, '']) {
        const [finding, ...rest] = check(alias);
        assert.equal(finding?.code, 'ALIAS_MISSING');
        assert.equal(finding?.severity, 'block');
        assert.deepEqual(rest, []);
      }
    });

    it('is not raised when an alias is given', () => {
      assert.ok(!codes(check('security@corp.example')).includes('ALIAS_MISSING'));
    });

    it('treats an alias of only whitespace and line breaks as missing', () => {
      assert.deepEqual(codes(check(' \r\n\t ')), ['ALIAS_MISSING']);
    });
  });

  describe('ALIAS_INVALID', () => {
    it('blocks text that is not one email address, naming the text', () => {
      for (const alias of [
        'security at corp.example',
        'security@',
        '@corp.example',
        'security@corp',
        'a@b@corp.example',
        'sec urity@corp.example',
        'security@co.uk',
        'security@[192.0.2.1]',
        '"sec"@corp.example',
        'a, b@corp.example',
      ]) {
        const findings = check(alias);
        assert.deepEqual(codes(findings), ['ALIAS_INVALID'], alias);
        assert.equal(findings[0]?.severity, 'block');
        assert.ok(findings[0]?.message.includes(alias), findings[0]?.message);
      }
    });

    it('accepts an address in angle brackets, with a display name, or as a mailto link', () => {
      for (const alias of [
        '<security@corp.example>',
        'Corp Security <security@corp.example>',
        'mailto:security@corp.example',
        '  security@corp.example  ',
      ]) {
        assert.deepEqual(check(alias), [], alias);
      }
    });

    it('refuses a header injection and quotes it without a line break', () => {
      const findings = check('security@corp.example\r\nBcc: mallory@evil.example');
      assert.deepEqual(codes(findings), ['ALIAS_INVALID']);
      assert.doesNotMatch(findings[0]?.message ?? '', /[\r\n]/);
    });

    it('shortens a very long value in the message', () => {
      const findings = check(`${'x'.repeat(500)} not an address`);
      assert.deepEqual(codes(findings), ['ALIAS_INVALID']);
      assert.ok((findings[0]?.message.length ?? 0) < 250);
    });
  });

  describe('ALIAS_DENIED', () => {
    const policy: AliasPolicy = { ...OPEN, denyDomains: ['evil.example', 'xn--mnchen-3ya.de'] };

    it('blocks an alias at a denied domain, naming the domain', () => {
      const finding = only(check('security@evil.example', { fromAddress: 'a@evil.example' }, policy), 'ALIAS_DENIED');
      assert.equal(finding.severity, 'block');
      assert.match(finding.message, /evil\.example/);
    });

    it('is not raised for a domain that is not denied', () => {
      assert.deepEqual(check('security@corp.example', {}, policy), []);
    });

    it('catches a subdomain, another case, a trailing dot and the Unicode spelling of a denied domain', () => {
      assert.ok(
        codes(check('SECURITY@Mail.EVIL.Example.', { fromAddress: 'a@evil.example' }, policy)).includes('ALIAS_DENIED'),
      );
      assert.ok(codes(check('security@münchen.de', { fromAddress: 'a@münchen.de' }, policy)).includes('ALIAS_DENIED'));
    });

    it('is not fooled by a domain that only ends with the same letters', () => {
      assert.deepEqual(check('security@notevil.example', { fromAddress: 'a@notevil.example' }, policy), []);
    });

    it('wins over the allow list', () => {
      const both: AliasPolicy = { ...OPEN, allowDomains: ['evil.example'], denyDomains: ['evil.example'] };
      assert.ok(
        codes(check('security@evil.example', { fromAddress: 'a@evil.example' }, both)).includes('ALIAS_DENIED'),
      );
    });
  });

  describe('allowDomains', () => {
    it('skips the free-mail check for an allowed domain that the provider list knows', () => {
      // example.com is on the email-providers list; the policy's own sample alias uses it.
      const sender = { fromAddress: 'zerocool@example.com', fromName: 'Zero Cool', organization: 'Seven-Corp' };
      assert.ok(codes(check('istio-security-team@example.com', sender)).includes('ALIAS_FREEMAIL'));
      assert.deepEqual(
        check('istio-security-team@example.com', sender, { ...OPEN, allowDomains: ['example.com'] }),
        [],
      );
    });

    it("does not excuse a domain that is not the sender's", () => {
      const policy: AliasPolicy = { ...OPEN, allowDomains: ['example.com'] };
      assert.deepEqual(codes(check('security@example.com', {}, policy)), ['ALIAS_DOMAIN_MISMATCH']);
    });
  });

  describe('ALIAS_FREEMAIL', () => {
    it('blocks an alias at a well-known free-mail provider, naming the provider', () => {
      for (const domain of [
        'gmail.com',
        'outlook.com',
        'hotmail.com',
        'yahoo.com',
        'yahoo.co.uk',
        'proton.me',
        'protonmail.com',
        'icloud.com',
        'gmx.de',
      ]) {
        const finding = only(check(`istio-security@${domain}`, { fromAddress: `alice@${domain}` }), 'ALIAS_FREEMAIL');
        assert.equal(finding.severity, 'block');
        assert.ok(finding.message.includes(domain), finding.message);
      }
    });

    it('is not raised for a corporate domain', () => {
      assert.ok(!codes(check('security@corp.example')).includes('ALIAS_FREEMAIL'));
      assert.ok(!codes(check('istio-security@redhat.com', { fromAddress: 'a@redhat.com' })).includes('ALIAS_FREEMAIL'));
    });

    it('catches upper case, a trailing dot, a +tag and a subdomain of the provider', () => {
      for (const alias of ['Istio.Security@GMAIL.COM.', 'istio-security+embargo@gmail.com', 'x@mail.gmail.com']) {
        const findings = check(alias, { fromAddress: 'alice@gmail.com' });
        assert.equal(only(findings, 'ALIAS_FREEMAIL').severity, 'block', alias);
      }
    });

    it('does not also ask to record the provider as a domain of the organization', () => {
      assert.deepEqual(codes(check('istio-security@gmail.com')), ['ALIAS_FREEMAIL']);
    });
  });

  describe('ALIAS_DISPOSABLE', () => {
    it('blocks an alias at a disposable-mail service, naming it', () => {
      const finding = only(
        check('security@guerrillamail.com', { fromAddress: 'a@guerrillamail.com' }),
        'ALIAS_DISPOSABLE',
      );
      assert.equal(finding.severity, 'block');
      assert.match(finding.message, /guerrillamail\.com/);
    });

    it('is not raised for a corporate domain', () => {
      assert.ok(!codes(check('security@corp.example')).includes('ALIAS_DISPOSABLE'));
    });

    it('reports a domain on both lists once, as disposable', () => {
      assert.deepEqual(codes(check('security@mailinator.com', { fromAddress: 'a@mailinator.com' })), [
        'ALIAS_DISPOSABLE',
      ]);
    });

    it('catches upper case and any subdomain of a wildcard disposable domain', () => {
      assert.deepEqual(codes(check('Security@ANYTHING.33mail.com', { fromAddress: 'a@33mail.com' })), [
        'ALIAS_DISPOSABLE',
      ]);
      assert.deepEqual(codes(check('security@YOPMAIL.com.', { fromAddress: 'a@yopmail.com' })), ['ALIAS_DISPOSABLE']);
    });
  });

  describe('ALIAS_DOMAIN_MISMATCH', () => {
    const policy: AliasPolicy = {
      ...OPEN,
      organizationDomains: { IBM: ['ibm.com'], 'Seven Corp': ['us.seven.example'] },
    };

    it("blocks an alias at a domain other than the sender's, naming both", () => {
      const finding = only(check('security@other.example'), 'ALIAS_DOMAIN_MISMATCH');
      assert.equal(finding.severity, 'block');
      assert.match(finding.message, /other\.example/);
      assert.match(finding.message, /alice@corp\.example/);
    });

    it("accepts a subdomain of the sender's domain, and a sender on a subdomain", () => {
      assert.deepEqual(check('security@sec.corp.example'), []);
      assert.deepEqual(check('security@corp.example', { fromAddress: 'alice@mail.eu.corp.example' }), []);
    });

    it('accepts a domain recorded for the organization, whatever the case of its name', () => {
      assert.deepEqual(
        check(
          'argoprod@us.ibm.com',
          { fromAddress: 'bob@redhat.com', fromName: 'Bob Roe', organization: 'ibm' },
          policy,
        ),
        [],
      );
      assert.deepEqual(
        check(
          'argoprod@us.ibm.com',
          { fromAddress: 'bob@redhat.com', fromName: 'Bob Roe', organization: '  IBM ' },
          policy,
        ),
        [],
      );
    });

    it("does not lend one organization's domains to another", () => {
      assert.deepEqual(
        codes(
          check(
            'argoprod@us.ibm.com',
            { fromAddress: 'bob@redhat.com', fromName: 'Bob Roe', organization: 'Red Hat' },
            policy,
          ),
        ),
        ['ALIAS_DOMAIN_MISMATCH'],
      );
      assert.deepEqual(
        codes(
          check(
            'argoprod@us.ibm.com',
            { fromAddress: 'bob@redhat.com', fromName: 'Bob Roe', organization: null },
            policy,
          ),
        ),
        ['ALIAS_DOMAIN_MISMATCH'],
      );
    });

    it('takes a recorded subdomain as that subdomain only', () => {
      const sender = { fromAddress: 'bob@other.example', fromName: 'Bob Roe', organization: 'Seven Corp' };
      assert.deepEqual(check('security@us.seven.example', sender, policy), []);
      assert.deepEqual(codes(check('security@uk.seven.example', sender, policy)), ['ALIAS_DOMAIN_MISMATCH']);
    });

    it('is not fooled by a shared public suffix, a look-alike domain, or a neighbouring tenant', () => {
      assert.deepEqual(codes(check('security@corp.co.uk', { fromAddress: 'alice@other.co.uk' })), [
        'ALIAS_DOMAIN_MISMATCH',
      ]);
      assert.deepEqual(codes(check('security@corp.example.evil.example')), ['ALIAS_DOMAIN_MISMATCH']);
      assert.deepEqual(codes(check('security@team-a.github.io', { fromAddress: 'alice@team-b.github.io' })), [
        'ALIAS_DOMAIN_MISMATCH',
      ]);
    });

    it('matches the punycode and Unicode spellings of one domain', () => {
      assert.deepEqual(check('security@münchen.de', { fromAddress: 'alice@XN--MNCHEN-3YA.DE' }), []);
    });

    it('fails closed when the sender address is empty or unusable', () => {
      for (const fromAddress of ['', 'Alice Example', 'alice@localhost']) {
        const finding = only(check('security@corp.example', { fromAddress }), 'ALIAS_DOMAIN_MISMATCH');
        assert.match(finding.message, /security@corp\.example/);
      }
    });
  });

  describe('ALIAS_IS_SENDER', () => {
    it("blocks an alias that is the applicant's own From address", () => {
      const finding = only(check('alice@corp.example'), 'ALIAS_IS_SENDER');
      assert.equal(finding.severity, 'block');
      assert.match(finding.message, /alice@corp\.example/);
    });

    it("is not raised for a team address at the sender's domain", () => {
      assert.deepEqual(check('security@corp.example'), []);
    });

    it('sees through case, a trailing dot, a +tag and angle brackets', () => {
      for (const alias of ['ALICE@Corp.Example.', 'alice+istio@corp.example', '<Alice@CORP.example>']) {
        assert.ok(codes(check(alias, { fromName: '' })).includes('ALIAS_IS_SENDER'), alias);
      }
      assert.ok(
        codes(check('alice@corp.example', { fromAddress: 'Alice+lists@corp.example', fromName: '' })).includes(
          'ALIAS_IS_SENDER',
        ),
      );
    });

    it('does not take the same local part at another domain for the sender', () => {
      assert.ok(!codes(check('alice@sec.corp.example', { fromName: '' })).includes('ALIAS_IS_SENDER'));
    });
  });

  describe('ALIAS_PERSONAL', () => {
    it("warns when the local part is the sender's name written as an address", () => {
      for (const local of ['alice.example', 'alice_example', 'aliceexample', 'example.alice', 'alice-example']) {
        const finding = only(check(`${local}@corp.example`, { fromAddress: 'bob@corp.example' }), 'ALIAS_PERSONAL');
        assert.equal(finding.severity, 'warn', local);
        assert.ok(finding.message.includes(`${local}@corp.example`), finding.message);
      }
    });

    it("warns when the local part contains the sender's first or last name", () => {
      for (const local of ['alice', 'aexample', 'alice.istio', 'examplea']) {
        assert.ok(
          codes(check(`${local}@corp.example`, { fromAddress: 'bob@corp.example' })).includes('ALIAS_PERSONAL'),
          local,
        );
      }
      assert.ok(codes(check('ilee@corp.example', { fromName: 'Ian Lee' })).includes('ALIAS_PERSONAL'));
    });

    it('does not flag team-like local parts', () => {
      for (const local of [
        'security',
        'psirt',
        'istio-security-team',
        'product-security',
        'secalert',
        'istio-security-team-inbox',
        'security-alerts',
      ]) {
        assert.deepEqual(check(`${local}@corp.example`), [], local);
        assert.deepEqual(check(`${local}@corp.example`, { fromName: 'Ian Lee' }), [], local);
      }
    });

    it("does not take the words of a team sender's display name for a person", () => {
      assert.deepEqual(
        check('product-security@redhat.com', {
          fromAddress: 'secalert@redhat.com',
          fromName: 'Red Hat Product Security',
          organization: 'Red Hat',
        }),
        [],
      );
      assert.deepEqual(
        check('redhat-psirt@redhat.com', {
          fromAddress: 'secalert@redhat.com',
          fromName: 'Red Hat Product Security',
          organization: 'Red Hat',
        }),
        [],
      );
      assert.deepEqual(check('istio-security-team@corp.example', { fromName: 'Istio Security Team' }), []);
      assert.deepEqual(
        check('istio-security-team-inbox@aspenmesh.io', {
          fromAddress: 'ops@aspenmesh.io',
          fromName: 'Aspen Mesh Security',
        }),
        [],
      );
    });

    it("still reads the person's name beside a job title", () => {
      for (const fromName of [
        'Alice Example, Product Security',
        'Alice Example - Security Team Lead',
        'Alice Example | PSIRT',
      ]) {
        assert.ok(
          codes(check('alice.example@corp.example', { fromAddress: 'bob@corp.example', fromName })).includes(
            'ALIAS_PERSONAL',
          ),
          fromName,
        );
        assert.deepEqual(check('product-security@corp.example', { fromName }), [], fromName);
      }
    });

    it('sees through upper case, a +tag, accents, "Last, First" and a Google Groups display name', () => {
      const sender = { fromAddress: 'bob@corp.example' };
      assert.ok(codes(check('Alice.Example+istio@CORP.example', sender)).includes('ALIAS_PERSONAL'));
      assert.ok(
        codes(check('jose.muller@corp.example', { ...sender, fromName: 'José Müller' })).includes('ALIAS_PERSONAL'),
      );
      assert.ok(
        codes(check('alice.example@corp.example', { ...sender, fromName: 'Example, Alice' })).includes(
          'ALIAS_PERSONAL',
        ),
      );
      assert.ok(
        codes(
          check('alice.example@corp.example', {
            ...sender,
            fromName: "'Alice Example' via istio-early-disclosure-requests",
          }),
        ).includes('ALIAS_PERSONAL'),
      );
      assert.deepEqual(
        check('security@corp.example', { ...sender, fromName: "'Alice Example' via istio-early-disclosure-requests" }),
        [],
      );
    });

    it('has nothing to compare when the display name is empty, only short words or only an address', () => {
      for (const fromName of ['', '   ', 'Al Li', 'alice@corp.example']) {
        assert.ok(
          !codes(check('alice.example@corp.example', { fromAddress: 'bob@corp.example', fromName })).includes(
            'ALIAS_PERSONAL',
          ),
          fromName,
        );
      }
    });
  });

  describe('messages', () => {
    it('are one line each and name the alias', () => {
      const findings = [
        ...check('alice@gmail.com', { fromAddress: 'alice@corp.example' }),
        ...check('alice@other.example'),
        ...check('alice@corp.example'),
        ...check('security@mailinator.com'),
        ...check('security@evil.example', {}, { ...OPEN, denyDomains: ['evil.example'] }),
      ];
      assert.deepEqual([...new Set(codes(findings))].sort(), [
        'ALIAS_DENIED',
        'ALIAS_DISPOSABLE',
        'ALIAS_DOMAIN_MISMATCH',
        'ALIAS_FREEMAIL',
        'ALIAS_IS_SENDER',
        'ALIAS_PERSONAL',
      ]);
      for (const f of findings) {
        assert.doesNotMatch(f.message, /[\r\n]/);
        assert.match(f.message, /^[A-Z"].*\.$/);
        assert.match(f.message, /@/);
      }
    });
  });
});
