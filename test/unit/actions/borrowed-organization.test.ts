/**
 * Issue 8 item 5, the join-request half: an applicant claiming a member's organization, or an
 * alias wearing a member's or a well-known domain, is flagged in the moderators' mail; the
 * applicant is never told who the members are.
 */
import assert from 'node:assert/strict';
import { removeMember, upsertMember } from '../../../src/store/members';
import { joinRequest, Membership, MODERATOR, type Sent } from '../../helpers/membership';

const MEMBER = 'security@acme.example';
const EVIL = 'jane@acme-labs.example';

describe('borrowed organizations and look-alike alias domains (through processRaw)', () => {
  let h: Membership;
  beforeEach(() => {
    h = new Membership();
    upsertMember(h.ctx.db, MEMBER, 'ACME, Inc.', '2026-01-01T00:00:00.000Z');
  });

  async function request(
    organization: string,
    alias = 'security@acme-labs.example',
    from = EVIL,
  ): Promise<{ moderation: Sent; ack: Sent }> {
    const before = h.mark();
    const moderation = await h.submit(
      joinRequest({
        from,
        organization,
        alias,
        subject: `${organization} Membership to Early Disclosure Mailing List`,
      }),
    );
    const ack = (await h.sent(before)).find((m) => m.purpose === 'applicant.notice.request-received')!;
    return { moderation, ack };
  }

  for (const claimed of ['ACME, Inc.', 'Acme Inc', 'acme', 'ACME Corporation', '\u0410CME Inc']) {
    it(`flags "${claimed}" in the moderators' mail, naming the member's alias, and tells the applicant nothing of it`, async () => {
      const { moderation, ack } = await request(claimed);
      assert.match(
        moderation.text,
        /- \(note\) \[ORGANIZATION_OF_MEMBER\] The organization ".*" is already a member's: security@acme\.example \("ACME, Inc\."\)/,
      );
      assert.ok(!ack.text.includes(MEMBER), "the applicant is not told the member's alias");
      assert.doesNotMatch(ack.text, /already a member/);
      assert.deepEqual(
        (JSON.parse(h.request(1).findings) as { code: string }[])
          .map((f) => f.code)
          .filter((c) => c === 'ORGANIZATION_OF_MEMBER'),
        ['ORGANIZATION_OF_MEMBER'],
      );
    });
  }

  it("does not flag another organization, nor a removed member's", async () => {
    upsertMember(h.ctx.db, 'psirt@gone.example', 'Gone Ltd', '2026-01-01T00:00:00.000Z');
    removeMember(h.ctx.db, 'psirt@gone.example', '2026-02-01T00:00:00.000Z');
    for (const org of ['Acme Labs', 'Gone']) {
      const before = h.mark();
      await h.receive(
        joinRequest({
          from: EVIL,
          organization: org,
          alias: 'security@acme-labs.example',
          subject: `${org} Membership to Early Disclosure Mailing List`,
        }),
      );
      const moderation = await h.find(MODERATOR, /Join request #\d+/, before);
      assert.doesNotMatch(moderation.text, /ORGANIZATION_OF_MEMBER/, org);
    }
  });

  it("warns the moderators of an alias at a domain that wears the member's domain, and does not name it to the applicant", async () => {
    const { moderation, ack } = await request('Evil', 'security@acme.example.evil.example', 'jane@evil.example');
    assert.match(
      moderation.text,
      /- \(note\) \[ALIAS_LOOKALIKE_DOMAIN\] The alias security@acme\.example\.evil\.example is at evil\.example, but its name begins with acme\.example, the domain of a member's alias/,
    );
    assert.doesNotMatch(ack.text, /member/);
  });

  it('blocks an alias at a domain that wears a well-known one, and tells both', async () => {
    const { moderation, ack } = await request('Evil', 'security@google.com.attacker.example', 'jane@attacker.example');
    assert.match(
      moderation.text,
      /- \[ALIAS_LOOKALIKE_DOMAIN\] The alias security@google\.com\.attacker\.example is at attacker\.example, not at google\.com/,
    );
    assert.match(ack.text, /not at google\.com as its name suggests/);
  });
});
