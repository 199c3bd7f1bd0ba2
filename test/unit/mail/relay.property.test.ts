/**
 * Property-based tests of the relay (issue 8, item 7): for any header set a sender can write,
 * the copy the members get names nobody outside the list and its author in any address field,
 * carries only the fields of the allow-list, and reads the same to mailparser and to Python's
 * email package (a lenient reader, run as a peer: test/helpers/python-email-reader.py).
 *
 * fast-check prints the seed and path of a failing case; FC_SEED=<seed> replays a run, FC_RUNS=<n>
 * runs more cases than the 200 of each property.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simpleParser, type ParsedMail } from 'mailparser';
import addressparser from 'nodemailer/lib/addressparser';
import { composeRelay } from '../../../src/mail/relay';
import { headerAnomalies } from '../../../src/message/header-anomalies';
import { parseMessage } from '../../../src/message/parse';
import { TOKEN_PATTERN } from '../../../src/store/tokens';
import { LIST_ADDRESS, REQUESTS_ADDRESS, testConfig } from '../../helpers/context';
import { PythonEmailReader, type PythonReading } from '../../helpers/python-email-reader';

const config = testConfig();
const NOW = new Date('2026-03-10T09:30:00Z');
const RUNS = {
  numRuns: Number(process.env.FC_RUNS ?? 200),
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
};

const OUTSIDER = 'evil@outsider.example';
const MEMBERS = ['alice@member.example', 'Bob.Smith@Member.Example'];

/** Every field a relayed copy may carry (relay.ts). */
const ALLOWED_FIELDS = new Set([
  'list-id',
  'list-post',
  'list-help',
  'precedence',
  'x-loop',
  'reply-to',
  'from',
  'x-original-from',
  'to',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);
/** Every field a client could reply, report, forward or resend to, or show as a sender (as in the Python peer). */
const ADDRESS_FIELDS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'resent-reply-to',
  'errors-to',
  'mail-followup-to',
  'mail-reply-to',
  'disposition-notification-to',
  'return-receipt-to',
  'read-receipt-to',
  'x-confirm-reading-to',
  'return-path',
  'delivered-to',
  'x-original-from',
  'x-original-to',
  'envelope-to',
  'x-loop',
  'apparently-to',
  'x-sender',
  'x-envelope-from',
  'x-envelope-to',
]);
const MAILTO_FIELDS = new Set([
  'list-post',
  'list-help',
  'list-unsubscribe',
  'list-subscribe',
  'list-owner',
  'list-archive',
]);

// ---------------------------------------------------------------------------------------------
// What a sender can write

/** An RFC 2047 encoded word for any text (control characters and line breaks included). */
function encodedWord(text: string, how: 'B' | 'Q', charset = 'UTF-8'): string {
  const bytes = Buffer.from(text, 'utf8');
  if (how === 'B') return `=?${charset}?B?${bytes.toString('base64')}?=`;
  const q = [...bytes]
    .map((b) =>
      b === 0x20
        ? '_'
        : /[A-Za-z0-9]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `=${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return `=?${charset}?Q?${q}?=`;
}

const addressy = fc.constantFrom(
  OUTSIDER,
  `<${OUTSIDER}>`,
  `"Eve" <${OUTSIDER}>`,
  `Eve <${OUTSIDER}>, Mallory <mallory@outsider.example>`,
  `mailto:${OUTSIDER}`,
  `<mailto:${OUTSIDER}?subject=unsubscribe>`,
  'undisclosed-recipients:;',
  `team: ${OUTSIDER}, x@outsider.example;`,
  `${OUTSIDER} (Eve)`,
  `"${LIST_ADDRESS}" <${OUTSIDER}>`,
  `${LIST_ADDRESS}`,
  `<${MEMBERS[0]}>`,
  '@outsider.example:eve@outsider.example',
);
const punctuation = fc.constantFrom(
  '"',
  '\\',
  ',',
  ';',
  ':',
  '<',
  '>',
  '@',
  '(',
  ')',
  '[',
  ']',
  '=?',
  '?=',
  '"quoted, string"',
  '(comment (nested))',
);
const words = fc.constantFrom(
  'hi',
  'Re:',
  'Jörg',
  'Älïce Müller',
  '\u202eevil',
  'tk-abcdefghijklmnopqrstuvwxyz',
  'TK-ABCDEFGHIJKLMNOPQRSTUV2345',
  'x'.repeat(80),
  'y'.repeat(1200),
  'CVE-2026-0001',
);
const ids = fc.constantFrom(
  '<p1@member.example>',
  'bare-id@member.example',
  '<<x@y.example>>',
  '<a b@c.example>',
  `<${OUTSIDER}>`,
  'junk',
  '<no-at-sign>',
  '<tk-abcdefghijklmnopqrstuvwxyz@lists.example.org>',
);
const mime = fc.constantFrom(
  'text/plain; charset=utf-8',
  'multipart/mixed; boundary="b1"',
  'multipart/alternative; boundary=b2',
  "text/html; name*=utf-8''%E2%80%AEevil.txt",
  'attachment; filename="x.txt"',
  'quoted-printable',
  'base64',
  'Tue, 10 Mar 2026 09:00:00 +0000',
  'not a date',
  '1.0',
);
/** Line breaks, NUL and other control bytes, raw, where a reader may split a line. */
const control = fc.constantFrom(
  '\r',
  '\n',
  '\r\n',
  '\0',
  '\x01',
  '\x0b',
  '\x0c',
  '\x1b',
  '\x7f',
  '\x85',
  '\r\n ',
  '\n\t',
  '\r\nCc: evil@outsider.example',
  '\rReply-To: evil@outsider.example',
  '\nBcc: evil@outsider.example',
);
const printable = fc.string({ maxLength: 10 });
const unicode = fc.string({ unit: 'grapheme', maxLength: 6 });
/** Any code points, C0 and C1 controls, lone surrogates and all. */
const anyText = fc.string({ unit: 'binary', maxLength: 6 });
const plainFragment = fc.oneof(addressy, punctuation, words, ids, mime, printable, unicode);
/** Encoded words whose text is anything above, line breaks and "Cc: outsider" included. */
const encoded = fc
  .tuple(
    fc.array(fc.oneof(plainFragment, control, anyText, fc.constant('\r\nCc: evil@outsider.example\r\n')), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom<'B' | 'Q'>('B', 'Q'),
    fc.constantFrom('UTF-8', 'utf-8', 'ISO-8859-1'),
  )
  .map(([parts, how, charset]) => encodedWord(parts.join(' '), how, charset));
/** Fragments of a well-formed header value (which may still name outsiders, hide tokens or decode to line breaks). */
const cleanFragment = fc.oneof({ arbitrary: plainFragment, weight: 3 }, { arbitrary: encoded, weight: 1 });
/** The same, and raw line breaks, NUL and control bytes: what the pipeline holds, and the relay must still survive. */
const hostileFragment = fc.oneof(
  { arbitrary: plainFragment, weight: 6 },
  { arbitrary: encoded, weight: 2 },
  { arbitrary: control, weight: 1 },
  { arbitrary: anyText, weight: 1 },
);
const value = (fragment: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(fragment, fc.constantFrom(' ', '', ', ', '\r\n ')), { maxLength: 5 })
    .map((parts) => parts.map(([f, sep]) => f + sep).join(''));

const POOL = [
  'From',
  'To',
  'Cc',
  'Bcc',
  'Reply-To',
  'Sender',
  'Errors-To',
  'Mail-Followup-To',
  'Disposition-Notification-To',
  'Return-Receipt-To',
  'Resent-From',
  'Resent-To',
  'Resent-Cc',
  'Resent-Sender',
  'X-Original-From',
  'List-Post',
  'List-Unsubscribe',
  'List-Id',
  'X-Loop',
  'Return-Path',
  'Delivered-To',
  'Subject',
  'Date',
  'Message-ID',
  'In-Reply-To',
  'References',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-Disposition',
];
const xName = fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/);
const fieldName = (pool: string[]) =>
  fc.mixedCase(fc.oneof({ arbitrary: fc.constantFrom(...pool), weight: 5 }, { arbitrary: xName, weight: 1 }));
const field = (pool: string[], hostile: boolean) =>
  fc
    .tuple(
      fieldName(pool),
      hostile ? fc.constantFrom(': ', ':', ':\t', ':\r\n ', ' : ') : fc.constantFrom(': ', ':', ':\t', ':\r\n '),
      value(hostile ? hostileFragment : cleanFragment),
    )
    .map(([name, colon, v]) => `${name}${colon}${v}`);

/** The member's own From: a hostile display name at most, the address is the member's. */
const authorName = fc.oneof(
  fc.constantFrom(
    '',
    'Alice',
    '"Al\\"ice \\\\ the \\"Great\\""',
    'Älïce Müller',
    `"Jörg, <${OUTSIDER}>"`,
    `Alice (${OUTSIDER})`,
    `"Alice\r\n Bcc: ${OUTSIDER}"`,
    '"tk-abcdefghijklmnopqrstuvwxyz"',
  ),
  encoded,
);
const authorField = fc
  .tuple(fc.constantFrom(...MEMBERS), authorName)
  .map(([address, name]) => ({ address, line: `From: ${name}${name ? ' ' : ''}<${address}>` }));

/**
 * A whole post: fields with no From before the author's own, any fields after it (another From
 * too), CRLF or LF line ends (folding with the same line end). Half the posts are well-formed,
 * as the pipeline relays them; half carry raw line breaks and control bytes, as it holds them.
 */
const post = fc
  .boolean()
  .chain((hostile) =>
    fc.record({
      before: fc.array(
        field(
          POOL.filter((n) => n !== 'From'),
          hostile,
        ),
        { maxLength: 6 },
      ),
      author: authorField,
      after: fc.array(field(POOL, hostile), { maxLength: 6 }),
      eol: fc.constantFrom('\r\n', '\n'),
    }),
  )
  .map(({ before, author, after, eol }) => {
    const head = [...before, author.line, ...after].join(eol);
    return {
      author: author.address,
      raw: Buffer.from(`${eol === '\n' ? head.replace(/\r\n(?=[ \t])/g, '\n') : head}${eol}${eol}text${eol}`, 'utf8'),
    };
  });

// ---------------------------------------------------------------------------------------------
// How each reader sees the relayed copy

function mailparserAddresses(parsed: ParsedMail): { field: string; address: string }[] {
  const out: { field: string; address: string }[] = [];
  for (const { key, line } of parsed.headerLines) {
    const v = line.slice(line.indexOf(':') + 1);
    if (MAILTO_FIELDS.has(key))
      for (const m of v.matchAll(/mailto:([^>?,\s]+)/gi)) out.push({ field: key, address: m[1]! });
    if (!ADDRESS_FIELDS.has(key)) continue;
    // The library mailparser reads address fields with, on every occurrence of every such field.
    for (const a of addressparser(v, { flatten: true })) out.push({ field: key, address: a.address ?? '' });
  }
  return out;
}

function pythonAddresses(r: PythonReading): { field: string; address: string }[] {
  return r.names.flatMap((name, i) =>
    (r.addresses[i] ?? []).map(([, address]) => ({ field: name.toLowerCase(), address })),
  );
}

/** mailparser's value of one single field, decoded, as the pipeline would read it. */
const addressList = (parsed: ParsedMail, key: 'from' | 'to' | 'replyTo'): [string, string][] => {
  const obj = parsed[key];
  const list = obj === undefined ? [] : Array.isArray(obj) ? obj.flatMap((o) => o.value) : obj.value;
  return list.map((a) => [a.name, (a.address ?? '').toLowerCase()]);
};
const pythonField = (r: PythonReading, name: string): { value: string; addresses: [string, string][] } | undefined => {
  const i = r.names.findIndex((n) => n.toLowerCase() === name);
  return i < 0
    ? undefined
    : { value: r.values[i]!, addresses: (r.addresses[i] ?? []).map(([n, a]) => [n, a.toLowerCase()]) };
};

/** Where the header of a message ends and its body starts, as the relay splits it. */
function blankLine(raw: Buffer): { start: number; end: number } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { start: crlf, end: crlf + 4 };
  return lf >= 0 ? { start: lf, end: lf + 2 } : { start: raw.length, end: raw.length };
}

/** The sender as the pipeline reads it (parse.ts), or null when it refuses the post. */
const pipelineSender = (raw: Buffer): Promise<string | null> =>
  parseMessage(raw).then(
    (m) => m.from.address.toLowerCase(),
    () => null,
  );

/** Who may be named: the list, its requests address, and the author as the pipeline reads it. */
function allowedAddresses(author: string, sender: string | null): Set<string> {
  const allowed = new Set([LIST_ADDRESS, REQUESTS_ADDRESS, author.toLowerCase()]);
  // A display name can hide an address that mailparser itself takes for the author (an encoded
  // word with "<x@y>" in it, unquoted): then the pipeline checks that address, not the member's.
  if (sender) allowed.add(sender);
  return allowed;
}

describe("mail/relay (property-based, fast-check, with Python's email package as a second reader)", function () {
  this.timeout(180_000);
  let python: PythonEmailReader;

  before(async () => {
    python = await PythonEmailReader.start();
  });
  after(() => python?.stop());

  it('names nobody but the list and the author, writes only allowed fields, and reads the same to mailparser and to Python', async () => {
    await fc.assert(
      fc.asyncProperty(post, async ({ raw, author }) => {
        const sender = await pipelineSender(raw);
        const allowed = allowedAddresses(author, sender);
        // A post the pipeline would act on: it parses and no reader splits its header differently.
        const actedOn = sender !== null && headerAnomalies(raw).length === 0;
        for (const rewriteFrom of [true, false]) {
          const copy = composeRelay(raw, config, rewriteFrom, NOW).raw;
          const where = `rewriteFrom ${rewriteFrom}, relayed copy:\n${copy.toString('latin1')}`;
          const parsed = await simpleParser(copy);
          const py = await python.read(copy);
          assert.equal(py.compat32.error, undefined, where);
          assert.equal(py.default.error, undefined, where);

          // (a) every address in every address field, for every reader
          for (const [reader, found] of [
            ['mailparser', mailparserAddresses(parsed)],
            ['python compat32', pythonAddresses(py.compat32)],
            ['python default', pythonAddresses(py.default)],
          ] as const) {
            for (const { field: f, address } of found) {
              assert.ok(
                allowed.has(address.toLowerCase()),
                `${reader} reads ${JSON.stringify(address)} in ${f}; ${where}`,
              );
            }
          }

          // (b) only fields of the allow-list, for every reader
          const names = {
            mailparser: parsed.headerLines.map((l) => l.key),
            compat32: py.compat32.names.map((n) => n.toLowerCase()),
            default: py.default.names.map((n) => n.toLowerCase()),
          };
          for (const [reader, list] of Object.entries(names)) {
            for (const n of list)
              assert.ok(ALLOWED_FIELDS.has(n), `${reader} reads a field ${JSON.stringify(n)}; ${where}`);
          }
          if (!rewriteFrom) assert.ok(!names.mailparser.includes('x-original-from'), where);

          // No borrowed name: the author the copy shows is the sender the pipeline authenticated.
          if (actedOn && !rewriteFrom)
            assert.deepEqual(
              addressList(parsed, 'from').map(([, a]) => a),
              [sender],
              `the author; ${where}`,
            );

          // (c) the same fields in the same order, and the same From, To, Reply-To, Subject, Message-ID
          assert.deepEqual(names.compat32, names.mailparser, where);
          assert.deepEqual(names.default, names.mailparser, where);
          for (const [key, name] of [
            ['from', 'from'],
            ['to', 'to'],
            ['replyTo', 'reply-to'],
          ] as const) {
            const ours = addressList(parsed, key);
            assert.deepEqual(pythonField(py.compat32, name)?.addresses, ours, `${name} (compat32); ${where}`);
            // The default policy does not join adjacent encoded words of a display name: addresses only.
            assert.deepEqual(
              pythonField(py.default, name)?.addresses.map(([, a]) => a),
              ours.map(([, a]) => a),
              `${name} (default); ${where}`,
            );
          }
          // mailparser has no subject for an empty Subject field; Python has the empty text.
          const subject = names.mailparser.includes('subject') ? (parsed.subject ?? '') : undefined;
          assert.equal(pythonField(py.compat32, 'subject')?.value, subject, `subject (compat32); ${where}`);
          assert.equal(pythonField(py.default, 'subject')?.value, subject, `subject (default); ${where}`);
          assert.equal(pythonField(py.compat32, 'message-id')?.value, parsed.messageId, `message-id; ${where}`);

          // The copy itself is clean: no line any reader splits differently, only ASCII in the header,
          // and no text of our token format in the subject, as either reader decodes it.
          assert.deepEqual(headerAnomalies(copy), [], where);
          const head = copy.subarray(0, blankLine(copy).start);
          // eslint-disable-next-line no-control-regex -- tab, LF and CR are the only controls allowed
          assert.match(head.toString('latin1'), /^[\x09\x0a\x0d\x20-\x7e]*$/, `only ASCII; ${where}`);
          for (const line of head.toString('latin1').split(/\r?\n/))
            assert.ok(line.length <= 998, `a line of ${line.length} octets; ${where}`);
          for (const s of [parsed.subject ?? '', pythonField(py.default, 'subject')?.value ?? '']) {
            assert.doesNotMatch(s, new RegExp(TOKEN_PATTERN.source, 'i'), `a token in the subject; ${where}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('relays the body byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(post, fc.string({ unit: 'binary', maxLength: 200 }), async ({ raw }, text) => {
        const body = Buffer.from(text, 'utf8');
        const original = Buffer.concat([raw.subarray(0, blankLine(raw).end), body]);
        const copy = composeRelay(original, config, true, NOW).raw;
        assert.deepEqual(copy.subarray(blankLine(copy).end), body);
      }),
      RUNS,
    );
  });
});
