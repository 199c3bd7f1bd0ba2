import assert from 'node:assert/strict';
import { judge, REPLY_RULES } from '../../../src/mail/smtp-replies';

describe('mail/smtp-replies', () => {
  it('judges a 4xx reply temporary', () => {
    for (const code of [400, 421, 450, 451, 452, 499])
      assert.equal(judge({ responseCode: code, message: 'try later' }).verdict, 'temporary', String(code));
  });

  it('judges a 5xx reply permanent', () => {
    for (const code of [500, 550, 551, 552, 553, 554, 599])
      assert.equal(judge({ responseCode: code, message: 'no' }).verdict, 'permanent', String(code));
  });

  it('judges a connection error without a reply temporary: the server never said no', () => {
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', undefined]) {
      const j = judge({ code, message: 'connection lost' });
      assert.equal(j.verdict, 'temporary');
      assert.equal(j.why, 'connection error without a reply');
    }
  });

  it('judges a reply code outside 4xx and 5xx temporary rather than losing the copy', () => {
    for (const code of [250, 354, 600, 0, -1])
      assert.deepEqual(judge({ responseCode: code, message: 'odd' }), {
        verdict: 'temporary',
        why: 'unexpected reply',
        scope: 'copy',
      });
  });

  it('goes by the reply code, not by the wording of the message', () => {
    assert.equal(judge({ responseCode: 550, message: '4.2.2 mailbox full, try again later' }).verdict, 'permanent');
    assert.equal(judge({ responseCode: 451, message: '5.1.1 user unknown' }).verdict, 'temporary');
  });

  it('says why, from the rule that matched', () => {
    assert.equal(
      judge({ responseCode: 550, message: 'no' }).why,
      REPLY_RULES.find((r) => r.verdict === 'permanent')!.why,
    );
  });
});

describe('mail/smtp-replies: our own login', () => {
  it('keeps a copy for a retry when our SMTP relay refuses our login, even with a 5xx', () => {
    assert.equal(
      judge({ responseCode: 535, code: 'EAUTH', message: '535 5.7.8 Authentication credentials invalid' }).verdict,
      'temporary',
    );
    assert.equal(judge({ code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }).verdict, 'temporary');
    assert.equal(
      judge({ responseCode: 550, code: 'EENVELOPE', message: '550 5.1.1 no such user' }).verdict,
      'permanent',
    );
  });
});
