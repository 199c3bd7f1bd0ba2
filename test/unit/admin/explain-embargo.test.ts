/** embargo-list explain on a disclosure: what the embargo reader makes of it, and --now (issue 13). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { explain } from '../../../src/admin/explain';
import { EXIT, main, parseInstant } from '../../../src/cli';
import type { Config } from '../../../src/config';
import { loadTemplates } from '../../../src/mail/templates';
import { LIST_ADDRESS, TEMPLATES_DIR, testConfig, trustedAuthConfig } from '../../helpers/context';
import { authenticatedMail, MODERATOR } from '../../helpers/membership';

const templates = loadTemplates(TEMPLATES_DIR);
const log = pino({ level: 'silent' });

describe('admin/explain: the embargo of a disclosure', () => {
  let dir: string;
  let config: Config;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-explain-'));
    config = { ...testConfig(trustedAuthConfig()), dataDir: path.join(dir, 'data') };
    fs.mkdirSync(config.dataDir);
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function disclosure(body: string): string {
    const file = path.join(dir, 'disclosure.eml');
    fs.writeFileSync(
      file,
      authenticatedMail({
        from: MODERATOR,
        to: LIST_ADDRESS,
        subject: 'CVE-2026-0001',
        body,
        date: new Date('2026-11-24T09:00:00Z'),
      }),
    );
    return file;
  }

  const NOW = new Date('2026-11-25T12:00:00Z');

  it('prints the end it read and the line it came from', async () => {
    const file = disclosure('Coordinated Release Date (CRD): 2026-12-03 16:00 UTC\n\nDetails.\n');
    const out = await explain(config, log, templates, file, { now: NOW });
    assert.equal(out.kind, 'open-disclosure');
    assert.deepEqual(out.embargo, {
      end: '2026-12-03T16:00:00.000Z',
      line: 'Coordinated Release Date (CRD): 2026-12-03 16:00 UTC',
    });
  });

  it('prints the problem with its proposal', async () => {
    const file = disclosure('The embargo ends around 15:00 UTC on 2026-12-03.\n');
    const out = await explain(config, log, templates, file, { now: NOW });
    const e = out.embargo as { problem: string; message: string; proposal: Record<string, string> };
    assert.equal(e.problem, 'EMBARGO_PROPOSED');
    assert.match(e.message, /reply "EMBARGO 2026-12-03T15:00Z"/);
    assert.deepEqual(e.proposal, {
      end: '2026-12-03T15:00:00.000Z',
      line: 'The embargo ends around 15:00 UTC on 2026-12-03.',
      why: 'gives an approximate time ("around 15:00 UTC")',
    });
  });

  it("proposes a date without a year from the mail's own Date", async () => {
    const out = await explain(config, log, templates, disclosure('Embargo: December 3 at 16:00 UTC\n'), { now: NOW });
    const e = out.embargo as { problem: string; proposal: { end: string } };
    assert.deepEqual([e.problem, e.proposal.end], ['EMBARGO_PROPOSED', '2026-12-03T16:00:00.000Z']);
  });

  it('judges the mail as if it arrived at --now', async () => {
    const file = disclosure('Embargo: 2026-12-03 16:00 UTC\n');
    const later = await explain(config, log, templates, file, { now: new Date('2026-12-04T00:00:00Z') });
    assert.deepEqual(later.embargo, {
      problem: 'EMBARGO_PAST',
      message:
        'The embargo end "2026-12-03 16:00 UTC" is in the past; give a future date such as "Embargo: 2026-12-11 00:00 UTC".',
      end: '2026-12-03T16:00:00.000Z',
    });
    const earlier = await explain(config, log, templates, file, { now: new Date('2026-08-01T00:00:00Z') });
    assert.equal((earlier.embargo as { problem: string }).problem, 'EMBARGO_TOO_FAR');
  });

  it('prints EMBARGO_MISSING for a disclosure without an end', async () => {
    const out = await explain(config, log, templates, disclosure('No date here.\n'), { now: NOW });
    assert.equal((out.embargo as { problem: string }).problem, 'EMBARGO_MISSING');
  });
});

describe('cli: explain --now', () => {
  it('reads an ISO 8601 instant with its zone, and nothing else', () => {
    assert.equal(parseInstant('2026-12-03T16:00:00Z')?.toISOString(), '2026-12-03T16:00:00.000Z');
    assert.equal(parseInstant('2026-12-03T17:00+01:00')?.toISOString(), '2026-12-03T16:00:00.000Z');
    for (const bad of ['tomorrow', '2026-12-03', '2026-12-03T16:00', '2026-02-30T16:00Z', '2026-12-03T24:00Z', '']) {
      assert.equal(parseInstant(bad), null, bad);
    }
  });

  it('refuses a bad --now with one line and the usage exit code', async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let code: number;
    // main() sets the process umask to 077, as the daemon wants: put it back for the tests after this one.
    const umask = process.umask();
    try {
      code = await main(['node', 'embargo-list', 'explain', '--now', 'next tuesday', 'whatever.eml']);
    } finally {
      process.stderr.write = write;
      process.umask(umask);
    }
    assert.equal(code, EXIT.usage);
    assert.deepEqual(written, [
      'embargo-list: USAGE_ERROR --now "next tuesday" is not an ISO 8601 instant with a zone, e.g. 2026-12-03T16:00:00Z\n',
    ]);
  });
});
