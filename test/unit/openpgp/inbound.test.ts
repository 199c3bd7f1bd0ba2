/**
 * OpenPGP on what the list receives, through processRaw with the in-memory helpers: a moderator's
 * gpg-signed APPROVE counts without DKIM, and every attacker's variant does not; mail encrypted to
 * the list's key is handled like clear mail, and encrypted mail the list cannot read is held with
 * its reason. GnuPG is the moderators' and members' client.
 */
import { strict as assert } from 'node:assert';
import type { PrivateKey } from 'openpgp' with { 'resolution-mode': 'import' };
import { openpgp } from '../../../src/openpgp/lib';
import { describeKey } from '../../../src/openpgp/keys';
import type { ListKey } from '../../../src/openpgp/list-key';
import { putKey, type KeyOwner } from '../../../src/store/keys';
import { encryptedMail as encryptedWith, GpgHome, signedMail as signedWith } from '../../helpers/gpg';
import { LIST_ADDRESS, REQUESTS_ADDRESS } from '../../helpers/context';
import { ALPHA, Disclosures, isoLine, OPENING_SUBJECT, OPENING_TEXT } from '../../helpers/disclosures';
import { ALIAS, joinRequest, Membership, MODERATOR, MODERATOR_2, type Sent } from '../../helpers/membership';
import { uniqueId } from '../../helpers/mail-factory';

const CRLF = '\r\n';

/** A text/plain body part exactly as it is signed. */
function textPart(body: string): string {
  return `Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}${body.replace(/\r?\n/g, CRLF)}`;
}

interface Outer {
  from: string;
  to?: string;
  subject: string;
  inReplyTo?: string;
  extra?: string[];
}

function outerHeader(o: Outer): string[] {
  const id = `<${uniqueId('pgp')}@example.org>`;
  return [
    `From: ${o.from}`,
    `To: ${o.to ?? REQUESTS_ADDRESS}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${id}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    ...(o.extra ?? []),
    'MIME-Version: 1.0',
  ];
}

const signedMail = (o: Outer, part: string, signature: string): Buffer => signedWith(outerHeader(o), part, signature);

const encryptedMail = (o: Outer, armored: string): Buffer => encryptedWith(outerHeader(o), armored);

function sign(home: GpgHome, part: string): string {
  return home.ok(['--armor', '--detach-sign', '-u', home.fingerprint], part).stdout.toString('utf8');
}

/** The reply a moderator's client writes: the keyword, then the quoted mail with its subject (and so its token). */
function quotedReply(keyword: string, to: Sent): string {
  return `${keyword}\n\nOn Tuesday the list wrote:\n> Subject: ${to.subject}\n> ${to.text.split('\n')[0] ?? ''}\n`;
}

async function register(ctx: Membership['ctx'], owner: KeyOwner, address: string, home: GpgHome): Promise<void> {
  const info = await describeKey(await openpgp.readKey({ armoredKey: home.publicKey() }), ctx.clock());
  putKey(ctx.db, owner, address, info, ctx.clock().toISOString(), 'test');
}

describe('openpgp/inbound: signed commands and encrypted mail, through the pipeline', function () {
  this.timeout(120_000);
  let listKey: ListKey;
  let modA: GpgHome;
  let modB: GpgHome;
  let member: GpgHome;
  let mallory: GpgHome;

  before(async function () {
    const made = await openpgp.generateKey({
      userIDs: [{ name: 'List', email: LIST_ADDRESS }],
      format: 'object',
    });
    const privateKey = made.privateKey as PrivateKey;
    listKey = {
      privateKey,
      publicKey: made.publicKey,
      fingerprint: privateKey.getFingerprint().toUpperCase(),
      file: '(memory)',
    };
    modA = new GpgHome().generate(`Moderator <${MODERATOR}>`);
    modB = new GpgHome().generate(`Second <${MODERATOR_2}>`);
    member = new GpgHome().generate(`Alpha <${ALPHA.address}>`);
    mallory = new GpgHome().generate('Mallory <mallory@evil.example>');
    for (const h of [modA, modB, member, mallory]) h.importKey(made.publicKey.armor());
    modA.importKey(mallory.publicKey());
  });

  after(function () {
    for (const h of [modA, modB, member, mallory]) h?.cleanup();
  });

  /** A list whose moderators' mail carries no Authentication-Results: only a signature can authenticate it. */
  async function list(): Promise<Membership> {
    const m = new Membership(undefined, { listKey });
    m.clock.set(new Date()); // gpg made the keys now: the list's clock must not be before them
    await register(m.ctx, 'moderator', MODERATOR, modA);
    await register(m.ctx, 'member', ALPHA.address, member);
    return m;
  }

  describe('signed commands', function () {
    it("counts a moderator's gpg-signed APPROVE without DKIM, with the token quoted inside the signature", async function () {
      const m = await list();
      const moderation = await m.submit(joinRequest());
      const part = textPart(quotedReply('APPROVE', moderation));
      const raw = signedMail(
        { from: MODERATOR, subject: `Re: ${moderation.subject}`, inReplyTo: moderation.messageId },
        part,
        sign(modA, part),
      );
      const before = m.mark();
      const r = await m.receive(raw);
      assert.equal(r.outcome, 'moderator-command');
      await m.find(ALIAS, /Confirm subscription of/, before);
      assert.equal(m.request(1).state, 'confirming');
    });

    it('refuses the same APPROVE unsigned (no DKIM either): the baseline of the variants below', async function () {
      const m = await list();
      const moderation = await m.submit(joinRequest());
      const raw = Buffer.from(
        [
          ...outerHeader({ from: MODERATOR, subject: `Re: ${moderation.subject}`, inReplyTo: moderation.messageId }),
          textPart(quotedReply('APPROVE', moderation)),
        ].join(CRLF),
      );
      const state = m.state();
      await m.receive(raw);
      assert.deepEqual(m.state(), state);
      assert.ok(m.auditActions().some((a) => a.startsWith('command.refused')));
    });

    /** Sends `raw` in answer to a fresh request's moderation mail and checks nothing changed but a refusal. */
    async function refused(m: Membership, make: (moderation: Sent) => Buffer, why: RegExp): Promise<void> {
      const moderation = await m.submit(joinRequest());
      const state = m.state();
      const before = m.mark();
      const r = await m.receive(make(moderation));
      assert.equal(r.outcome, 'moderator-command');
      assert.deepEqual(m.state(), state, 'nothing changed');
      const notice = await m.find(MODERATOR, /refused|not acted on|Refused/i, before);
      assert.match(notice.text, why);
    }

    it('refuses a forged signature: the body changed after signing (REJECT signed, APPROVE sent)', async function () {
      const m = await list();
      await refused(
        m,
        (moderation) => {
          const signedPart = textPart(quotedReply('REJECT not eligible', moderation));
          const sent = textPart(quotedReply('APPROVE', moderation) + '\n'.repeat(0));
          return signedMail(
            { from: MODERATOR, subject: `Re: ${moderation.subject}`, inReplyTo: moderation.messageId },
            sent,
            sign(modA, signedPart),
          );
        },
        /BAD_SIGNATURE/,
      );
    });

    it("refuses a signature by a member's key, and by a key nobody registered", async function () {
      const m = await list();
      for (const [home, why] of [
        [member, /UNKNOWN_SIGNER|not by the key registered/],
        [mallory, /UNKNOWN_SIGNER|not a candidate/],
      ] as const) {
        await refused(
          m,
          (moderation) => {
            const part = textPart(quotedReply('APPROVE', moderation));
            return signedMail(
              { from: MODERATOR, subject: `Re: ${moderation.subject}`, inReplyTo: moderation.messageId },
              part,
              sign(home, part),
            );
          },
          why,
        );
      }
    });

    it("refuses moderator A's valid signature under moderator B's From, whether B has a key or not", async function () {
      const m = await list();
      const make = (moderation: Sent): Buffer => {
        const part = textPart(quotedReply('APPROVE', moderation));
        return signedMail(
          { from: MODERATOR_2, subject: `Re: ${moderation.subject}`, inReplyTo: moderation.messageId },
          part,
          sign(modA, part),
        );
      };
      // B has no key: A's signature is still a moderator's key that is not B's.
      const moderation = await m.submit(joinRequest());
      const state = m.state();
      await m.receive(make(moderation));
      assert.deepEqual(m.state(), state);
      await register(m.ctx, 'moderator', MODERATOR_2, modB);
      await refused(m, make, /not by the key registered to second-moderator@example\.org/);
    });

    it('refuses a captured signed APPROVE re-pointed at another request through the unsigned In-Reply-To', async function () {
      const m = await list();
      const first = await m.submit(joinRequest());
      const second = await m.submit(joinRequest({ from: 'other@eight-corp.example', alias: 'sec@eight-corp.example' }));
      // Signed for the first request (its token quoted), sent in answer to the second.
      const part = textPart(quotedReply('APPROVE', first));
      const signature = sign(modA, part);
      const state = m.state();
      const before = m.mark();
      await m.receive(
        signedMail(
          {
            from: MODERATOR,
            subject: `Re: ${second.subject.replace(/\(tk-[a-z2-7]+\)/, '')}`,
            inReplyTo: second.messageId,
          },
          part,
          signature,
        ),
      );
      assert.deepEqual(m.state(), state, 'neither request moved');
      const notice = await m.find(MODERATOR, /refused|not acted on/i, before);
      assert.match(notice.text, /does not cover tk-/);
      // A signature over a body that quotes no token at all: the token is only outside.
      const bare = textPart('APPROVE\n');
      await m.receive(
        signedMail(
          { from: MODERATOR, subject: `Re: ${first.subject}`, inReplyTo: first.messageId },
          bare,
          sign(modA, bare),
        ),
      );
      assert.deepEqual(m.state(), state, 'still nothing moved');
    });

    /** A list with an open disclosure (opened with DKIM), moderator A's key registered; the thread's EMBARGO is signed only. */
    async function thread(): Promise<{ d: Disclosures; opened: Sent }> {
      const d = new Disclosures('', undefined, { listKey });
      d.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000)); // whole seconds: EMBARGO lines carry no milliseconds
      await register(d.ctx, 'moderator', MODERATOR, modA);
      const { opened } = await d.open({ end: d.at(10 * 86_400_000) });
      return { d, opened };
    }
    const endOf = (d: Disclosures) => d.disclosure(1).embargo_end;
    const embargoReply = (opened: Sent, end: Date): { part: string; signature: string } => {
      const part = textPart(quotedReply(`EMBARGO ${isoLine(end)}`, opened));
      return { part, signature: sign(modA, part) };
    };
    const sendSigned = (d: Disclosures, opened: Sent, signed: { part: string; signature: string }) =>
      d.receive(
        signedMail(
          { from: MODERATOR, subject: `Re: ${opened.subject}`, inReplyTo: opened.messageId },
          signed.part,
          signed.signature,
        ),
      );

    it("refuses a captured signed EMBARGO sent again under a new Message-ID (the thread's token lives on): a signature proves one message", async function () {
      const { d, opened } = await thread();
      const earlier = d.at(5 * 86_400_000);
      const captured = embargoReply(opened, earlier);
      await sendSigned(d, opened, captured);
      assert.equal(endOf(d), earlier.toISOString(), 'the signed EMBARGO counts once');
      const later = d.at(9 * 86_400_000);
      await sendSigned(d, opened, embargoReply(opened, later));
      assert.equal(endOf(d), later.toISOString(), 'a new signed EMBARGO counts');

      // The first one again, byte for byte inside, under a new Message-ID: it would pull the end back.
      const before = d.mark();
      await sendSigned(d, opened, captured);
      assert.equal(endOf(d), later.toISOString(), 'the replay moved nothing');
      const notice = await d.find(MODERATOR, /refused|not acted on/i, before);
      assert.match(notice.text, /replay/);
    });

    it('refuses a captured signed and encrypted EMBARGO sent again under other outer header fields (the id is the signature packet itself)', async function () {
      const { d, opened } = await thread();
      const earlier = d.at(5 * 86_400_000);
      // What a moderator's client encrypts and signs: protected headers inside, as Thunderbird writes them.
      const inner = [
        'Content-Type: text/plain; charset=us-ascii; protected-headers="v1"',
        `Subject: Re: ${opened.subject}`,
        `To: ${REQUESTS_ADDRESS}`,
        '',
        quotedReply(`EMBARGO ${isoLine(earlier)}`, opened),
      ].join(CRLF);
      const armored = modA
        .ok(['--armor', '--trust-model', 'always', '--encrypt', '--sign', '-r', LIST_ADDRESS], inner)
        .stdout.toString('utf8');
      await d.receive(encryptedMail({ from: MODERATOR, subject: '...', inReplyTo: opened.messageId }, armored));
      assert.equal(endOf(d), earlier.toISOString(), 'the signed, encrypted EMBARGO counts once');
      const later = d.at(9 * 86_400_000);
      await sendSigned(d, opened, embargoReply(opened, later));
      assert.equal(endOf(d), later.toISOString());

      // The same ciphertext under a new Message-ID and an outer To written otherwise (neither is signed).
      const before = d.mark();
      await d.receive(
        encryptedMail(
          { from: MODERATOR, to: `"Requests" <${REQUESTS_ADDRESS}>`, subject: '...', inReplyTo: opened.messageId },
          armored,
        ),
      );
      assert.equal(endOf(d), later.toISOString(), 'the replay moved nothing');
      assert.match((await d.find(MODERATOR, /refused|not acted on/i, before)).text, /replay/);
    });

    it('refuses a signature made more than 7 days before the list reads it, and one made in the future', async function () {
      const { d, opened } = await thread();
      const old = embargoReply(opened, d.at(12 * 86_400_000));
      d.clock.set(d.at(8 * 86_400_000));
      const before = d.mark();
      const kept = endOf(d);
      await sendSigned(d, opened, old);
      assert.equal(endOf(d), kept);
      assert.match((await d.find(MODERATOR, /refused|not acted on/i, before)).text, /more than 7 days ago/);

      const { d: d2, opened: opened2 } = await thread();
      const ahead = embargoReply(opened2, d2.at(12 * 86_400_000));
      d2.clock.set(d2.at(-3_600_000));
      const kept2 = endOf(d2);
      await sendSigned(d2, opened2, ahead);
      assert.equal(endOf(d2), kept2, 'a signature from the future does not count');
    });

    it('refuses a signed part beside an unsigned part that holds the keyword', async function () {
      const m = await list();
      await refused(
        m,
        (moderation) => {
          const signedPart = textPart(`Looks fine to me.\n> Subject: ${moderation.subject}\n`);
          const signature = sign(modA, signedPart);
          const inner = signedMail({ from: MODERATOR, subject: 'x' }, signedPart, signature).toString('utf8');
          const signedEntity = inner.slice(inner.indexOf('Content-Type: multipart/signed'));
          return Buffer.from(
            [
              ...outerHeader({
                from: MODERATOR,
                subject: `Re: ${moderation.subject}`,
                inReplyTo: moderation.messageId,
              }),
              'Content-Type: multipart/mixed; boundary="outer"',
              '',
              '--outer',
              textPart('APPROVE\n'),
              '--outer',
              signedEntity.trimEnd(),
              '--outer--',
              '',
            ].join(CRLF),
          );
        },
        /PARTIAL_SIGNATURE/,
      );
    });
  });

  describe('encrypted mail to the list', function () {
    async function disclosures(withKey = true): Promise<Disclosures> {
      const d = new Disclosures('', undefined, withKey ? { listKey } : {});
      d.clock.set(new Date());
      await register(d.ctx, 'moderator', MODERATOR, modA);
      return d;
    }

    function opening(end: Date): string {
      return [
        'Content-Type: text/plain; charset=us-ascii; protected-headers="v1"',
        `Subject: ${OPENING_SUBJECT}`,
        '',
        `Embargo: ${isoLine(end)}`,
        '',
        OPENING_TEXT,
        '',
      ].join(CRLF);
    }

    it("opens a thread from a moderator's encrypted, signed disclosure as from a clear one (no DKIM)", async function () {
      const d = await disclosures();
      const end = d.at(3 * 86_400_000);
      const armored = modA
        .ok(['--armor', '--trust-model', 'always', '--encrypt', '--sign', '-r', LIST_ADDRESS], opening(end))
        .stdout.toString('utf8');
      const raw = encryptedMail({ from: MODERATOR, to: LIST_ADDRESS, subject: '...' }, armored);
      const before = d.mark();
      const r = await d.receive(raw);
      assert.equal(r.outcome, 'open-disclosure', JSON.stringify(d.inbound(r.inboundId)));
      const copy = await d.find(ALPHA.address, /\[#1\]/, before);
      assert.match(copy.subject, /CVE-2026-0001/, 'the protected Subject');
      assert.ok(copy.text.includes(OPENING_TEXT), 'the decrypted text reaches the member');
      assert.equal(d.disclosure(1).id, 1);
      // The inbound row keeps the encrypted original, not the plaintext.
      const stored = d.ctx.db.prepare('SELECT raw FROM inbound WHERE id = ?').pluck().get(r.inboundId) as Buffer;
      assert.ok(stored.equals(raw));
      assert.ok(!stored.toString('utf8').includes(OPENING_TEXT));
    });

    it('holds mail encrypted to another key with the reason, and never relays it', async function () {
      const d = await disclosures();
      const armored = modA
        .ok(
          ['--armor', '--trust-model', 'always', '--encrypt', '-r', 'mallory@evil.example'],
          opening(d.at(86_400_000)),
        )
        .stdout.toString('utf8');
      const before = d.mark();
      const r = await d.receive(encryptedMail({ from: MODERATOR, to: LIST_ADDRESS, subject: '...' }, armored));
      assert.equal(r.outcome, 'hold');
      assert.equal(r.status, 'processed', 'held, not quarantined');
      const held = d.ctx.db.prepare('SELECT reasons, relayable FROM held WHERE inbound_id = ?').get(r.inboundId) as {
        reasons: string;
        relayable: number;
      };
      assert.match(held.reasons, /NOT_FOR_US/);
      assert.equal(held.relayable, 0, 'APPROVE cannot relay ciphertext');
      const sent = await d.sent(before);
      assert.ok(
        sent.every((s) => !s.to.includes(ALPHA.address)),
        'nothing to the members',
      );
      assert.ok(sent.some((s) => s.to.includes(MODERATOR) && /Held/.test(s.subject)));
      assert.match(d.inbound(r.inboundId).hits ?? '', /encrypted-unreadable/);
    });

    it('holds garbage ciphertext, and the next message flows', async function () {
      const d = await disclosures();
      const garbage = '-----BEGIN PGP MESSAGE-----\n\nhQEMA1234garbage==\n=AAAA\n-----END PGP MESSAGE-----\n';
      const r = await d.receive(encryptedMail({ from: MODERATOR, to: LIST_ADDRESS, subject: '...' }, garbage));
      assert.equal(r.outcome, 'hold');
      assert.equal(r.status, 'processed');
      assert.match(d.inbound(r.inboundId).hits ?? '', /MALFORMED/);
      const next = await d.open();
      assert.equal(next.result.outcome, 'open-disclosure');
    });

    it('holds encrypted mail when the list has no key (openpgp.enabled off)', async function () {
      const d = await disclosures(false);
      const armored = modA
        .ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', LIST_ADDRESS], opening(d.at(86_400_000)))
        .stdout.toString('utf8');
      const r = await d.receive(encryptedMail({ from: MODERATOR, to: LIST_ADDRESS, subject: '...' }, armored));
      assert.equal(r.outcome, 'hold');
      assert.match(d.inbound(r.inboundId).hits ?? '', /NO_LIST_KEY/);
    });
  });
});
