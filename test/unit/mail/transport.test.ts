import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../src/config';
import { createTransport } from '../../../src/mail/transport';
import { TEST_CONFIG_YAML } from '../../helpers/context';

describe('mail/transport (directory)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-outbox-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const transportFor = (outDir: string) =>
    createTransport(parseConfig(TEST_CONFIG_YAML.replace(/directory: .*/, `directory: ${outDir}`), 'test'));

  it('writes each copy as <delivery id>.eml with its envelope in front, and answers null', async () => {
    const t = transportFor(path.join(dir, 'out'));
    const code = await t.send(
      { from: 'bounces@lists.example.org', to: 'alice@member.example' },
      Buffer.from('Subject: x\r\n\r\nbody\r\n'),
      42,
    );
    assert.equal(code, null);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), ['00000042.eml']);
    assert.equal(
      fs.readFileSync(path.join(dir, 'out', '00000042.eml'), 'utf8'),
      'X-Envelope-From: <bounces@lists.example.org>\r\nX-Envelope-To: <alice@member.example>\r\nSubject: x\r\n\r\nbody\r\n',
    );
    assert.match(t.describe(), /^directory /);
  });

  it('writes a copy sent twice to the same file, leaving no temporary file', async () => {
    const t = transportFor(dir);
    await t.send({ from: 'b@lists.example.org', to: 'a@member.example' }, Buffer.from('one'), 7);
    await t.send({ from: 'b@lists.example.org', to: 'a@member.example' }, Buffer.from('two'), 7);
    assert.deepEqual(fs.readdirSync(dir), ['00000007.eml']);
    assert.match(fs.readFileSync(path.join(dir, '00000007.eml'), 'utf8'), /two$/);
  });
});
