import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { inThread, leak, membersMayNotOpen, namesThread, newThread, unauthenticated } from '../../../src/rules/threads';
import { LIST_ADDRESS, snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { authVerdict, disclosureThread } from '../../helpers/snapshot-parts';

const post = (subject = 'Heap overflow in the parser', from = 'alice@member.example') =>
  parseMessage(makeMessage({ from, to: LIST_ADDRESS, subject }));
const thread7 = disclosureThread(7);

describe('rules/threads', () => {
  describe('in-thread and new-thread', () => {
    it('in-thread hits a reply in a disclosure thread, naming its number; new-thread misses it', async () => {
      const msg = await post('Re: [#7] Heap overflow');
      const snap = snapshotWith({ thread: thread7 });
      assert.equal(inThread.check(msg, snap), 'in disclosure thread #7');
      assert.equal(newThread.check(msg, snap), null);
    });

    it('new-thread hits a post in no thread; in-thread misses it', async () => {
      const msg = await post();
      assert.equal(newThread.check(msg, snapshotWith()), 'not in a disclosure thread');
      assert.equal(inThread.check(msg, snapshotWith()), null);
    });

    it('a subject that only claims [#7] is no thread unless the snapshot found it', async () => {
      // The thread is looked up before the rules run; a subject alone is never taken on trust here.
      const msg = await post('Re: [#7] Heap overflow');
      assert.equal(inThread.check(msg, snapshotWith({ thread: null })), null);
      assert.notEqual(newThread.check(msg, snapshotWith({ thread: null })), null);
    });

    it('exactly one of the two hits, whatever the snapshot', async () => {
      const msg = await post();
      for (const thread of [null, thread7, disclosureThread(1), { ...thread7, state: 'public' as const }]) {
        const snap = snapshotWith({ thread });
        assert.equal([inThread, newThread].filter((r) => r.check(msg, snap) !== null).length, 1);
      }
    });
  });

  describe('members-may-not-open', () => {
    it("hits a member's new post when members may not open threads (the shipped policy)", async () => {
      const snap = snapshotWith({ senderIsMember: true, membersMayOpenThreads: false });
      assert.equal(
        membersMayNotOpen.check(await post(), snap),
        'members may not open threads (policy.membersMayOpenThreads is off)',
      );
    });

    it('misses when members may open threads, for a reply in a thread, and for a non-member', async () => {
      const msg = await post();
      assert.equal(
        membersMayNotOpen.check(msg, snapshotWith({ senderIsMember: true, membersMayOpenThreads: true })),
        null,
      );
      assert.equal(
        membersMayNotOpen.check(
          msg,
          snapshotWith({ senderIsMember: true, membersMayOpenThreads: false, thread: thread7 }),
        ),
        null,
      );
      // A stranger is held by from-non-member, not by this rule.
      assert.equal(
        membersMayNotOpen.check(msg, snapshotWith({ senderIsMember: false, membersMayOpenThreads: false })),
        null,
      );
    });

    it('hits a member who dresses a new post as a reply ("Re: [#7]") that matches no thread', async () => {
      const snap = snapshotWith({
        senderIsMember: true,
        membersMayOpenThreads: false,
        thread: null,
        namedThread: thread7,
      });
      assert.notEqual(membersMayNotOpen.check(await post('Re: [#7] Heap overflow'), snap), null);
    });
  });

  describe('names-thread', () => {
    it('hits a post outside every thread that names a disclosure by number', async () => {
      assert.equal(
        namesThread.check(await post('About #7'), snapshotWith({ namedThread: thread7 })),
        'names disclosure #7',
      );
    });

    it('misses a post that names none, and a reply inside the thread it names', async () => {
      assert.equal(namesThread.check(await post(), snapshotWith()), null);
      assert.equal(
        namesThread.check(await post('Re: [#7]'), snapshotWith({ thread: thread7, namedThread: thread7 })),
        null,
      );
    });

    it('misses a reply in one thread that names another: it is a reply, not a misplaced post', async () => {
      // Being in thread #1 while naming #7 is a reply in #1; the table handles it as such.
      assert.equal(
        namesThread.check(
          await post('Re: [#1] see also #7'),
          snapshotWith({ thread: disclosureThread(1), namedThread: thread7 }),
        ),
        null,
      );
    });
  });

  describe('leak', () => {
    it('hits when the snapshot found LEAK', async () => {
      assert.equal(
        leak.check(await post('LEAK: #7 is on a public tracker'), snapshotWith({ isLeak: true })),
        'reports a leak',
      );
    });

    it('misses otherwise, even when the subject mentions a leak the reader did not take as LEAK', async () => {
      assert.equal(leak.check(await post('Memory leak in the parser'), snapshotWith({ isLeak: false })), null);
    });
  });

  describe('unauthenticated', () => {
    it('hits an unauthenticated sender when posts must be authenticated, saying what decided', async () => {
      const snap = snapshotWith({
        requireAuthenticatedPosts: true,
        auth: authVerdict(false, 'dkim=fail at position 1'),
      });
      assert.equal(
        unauthenticated.check(await post(), snap),
        'alice@member.example is not authenticated: dkim=fail at position 1',
      );
    });

    it('hits a sender that was never checked, failing closed', async () => {
      const snap = snapshotWith({ requireAuthenticatedPosts: true, auth: null });
      assert.equal(unauthenticated.check(await post(), snap), 'alice@member.example is not authenticated: not checked');
    });

    it('misses an authenticated sender, and anyone when the requirement is off', async () => {
      const msg = await post();
      assert.equal(
        unauthenticated.check(msg, snapshotWith({ requireAuthenticatedPosts: true, auth: authVerdict(true) })),
        null,
      );
      assert.equal(
        unauthenticated.check(msg, snapshotWith({ requireAuthenticatedPosts: false, auth: authVerdict(false) })),
        null,
      );
    });

    it('hits a verdict that failed even if it carries passing evidence beside it', async () => {
      const mixed = {
        ...authVerdict(false, 'a trusted dkim=pass contradicted by dmarc=fail'),
        evidence: ['dkim=pass', 'dmarc=fail'],
        failed: true,
      };
      assert.notEqual(
        unauthenticated.check(await post(), snapshotWith({ requireAuthenticatedPosts: true, auth: mixed })),
        null,
      );
    });

    it('hits a forged From that names a moderator: the rule reads the verdict, not the name', async () => {
      const msg = await post('Heap overflow', '"security@example.org" <mallory@evil.example>');
      const snap = snapshotWith({ requireAuthenticatedPosts: true, auth: authVerdict(false) });
      assert.match(unauthenticated.check(msg, snap) ?? '', /^mallory@evil\.example is not authenticated/);
    });
  });
});
