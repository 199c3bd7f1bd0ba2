/**
 * relay.fromRewrite "dmarc": which authors get the list's From, by the policy their domain
 * publishes. A resolver of the test's own stands in for DNS.
 */
import assert from 'node:assert/strict';
import { dmarcPolicyFor, isStrict } from '../../../src/policy/dmarc-policy';
import type { TxtResolver } from '../../../src/policy/sender-auth';
import { processRaw } from '../../../src/runners/pipeline';
import { addMembers, backboneConfig, createTestContext, LIST_ADDRESS } from '../../helpers/context';
import { authenticatedMail } from '../../helpers/membership';

function resolverOf(records: Record<string, string[]>): TxtResolver {
  return async (name) => {
    const r = records[name.toLowerCase()];
    if (!r) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return r.map((t) => [t]);
  };
}

describe('policy/dmarc-policy', () => {
  it("reads p= from the From domain's own record", async () => {
    assert.equal(
      await dmarcPolicyFor(
        'strict.example',
        resolverOf({ '_dmarc.strict.example': ['v=DMARC1; p=reject; rua=mailto:x@strict.example'] }),
      ),
      'reject',
    );
    assert.equal(
      await dmarcPolicyFor('lax.example', resolverOf({ '_dmarc.lax.example': ['v=DMARC1; p=none'] })),
      'none',
    );
  });

  it('falls back to the organizational domain, whose sp= then applies', async () => {
    const r = resolverOf({ '_dmarc.corp.example': ['v=DMARC1; p=none; sp=quarantine'] });
    assert.equal(await dmarcPolicyFor('mail.corp.example', r), 'quarantine');
  });

  it('gives null when nothing is published, DNS fails, or the record is not DMARC', async () => {
    assert.equal(await dmarcPolicyFor('nothing.example', resolverOf({})), null);
    assert.equal(await dmarcPolicyFor('spf.example', resolverOf({ '_dmarc.spf.example': ['v=spf1 -all'] })), null);
    assert.equal(
      await dmarcPolicyFor('odd.example', resolverOf({ '_dmarc.odd.example': ['v=DMARC1; p=maybe'] })),
      null,
    );
  });

  it('counts quarantine and reject as strict, none and null not', () => {
    assert.deepEqual(
      [isStrict('reject'), isStrict('quarantine'), isStrict('none'), isStrict(null)],
      [true, true, false, false],
    );
  });

  it('rewrites From only for an author whose domain is strict, in "dmarc" mode', async () => {
    const resolver = resolverOf({
      '_dmarc.strict.example': ['v=DMARC1; p=reject'],
      '_dmarc.lax.example': ['v=DMARC1; p=none'],
    });
    const ctx = createTestContext({ config: backboneConfig('relay: { fromRewrite: dmarc }'), resolver });
    addMembers(ctx, 'a@strict.example', 'b@lax.example');
    await processRaw(ctx, 't:1', authenticatedMail({ from: 'a@strict.example', to: LIST_ADDRESS, subject: 'one' }));
    await processRaw(ctx, 't:2', authenticatedMail({ from: 'b@lax.example', to: LIST_ADDRESS, subject: 'two' }));
    const froms = (
      ctx.db.prepare("SELECT raw FROM outbox_message WHERE purpose = 'relay' ORDER BY id").pluck().all() as Buffer[]
    ).map((raw) => /^From: (.*)$/m.exec(raw.toString())![1]!.trim());
    assert.match(froms[0]!, new RegExp(`^"a@strict\\.example via Example Security" <${LIST_ADDRESS}>$`));
    assert.equal(froms[1], 'b@lax.example');
  });
});
