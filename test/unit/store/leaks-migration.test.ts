import assert from 'node:assert/strict';
import { loadMigrations, migrate, openDb, type Db } from '../../../src/store/db';
import { ownLeaksOf } from '../../../src/store/leaks';
import { MIGRATIONS_DIR } from '../../helpers/context';

const AT = '2026-03-10T09:30:00.000Z';

/** A database at schema 6 (leaks counted per organization name), with these members and leaks. */
function before0007(
  members: [address: string, organization: string][],
  leaks: [reporter: string, organization: string][],
): Db {
  const db = openDb(':memory:');
  const all = loadMigrations(MIGRATIONS_DIR);
  assert.equal(all[6]?.name, '0007-leaks-by-member.sql');
  migrate(db, all.slice(0, 6));
  for (const [address, organization] of members)
    db.prepare('INSERT INTO members (address, organization, added_at) VALUES (?, ?, ?)').run(address, organization, AT);
  db.prepare("INSERT INTO disclosures (subject, opened_by, opened_at) VALUES ('s', 'moderator@example.org', ?)").run(
    AT,
  );
  for (const [reporter, organization] of leaks) {
    db.prepare(
      "INSERT INTO leaks (disclosure_id, reporter, organization, text, reported_at, retro_due) VALUES (1, ?, ?, 'LEAK', ?, ?)",
    ).run(reporter, organization, AT, AT);
  }
  migrate(db, all.slice(0, 7));
  return db;
}

function rows(db: Db): unknown[] {
  return db
    .prepare('SELECT reporter, reporter_organization, leaker, leaker_organization, attribution FROM leaks ORDER BY id')
    .raw()
    .all();
}

describe('migrations/0007-leaks-by-member', () => {
  it('attributes an existing leak to its reporter, the member who sent it, not to the organization', () => {
    const db = before0007([['security@beta.example', 'Beta']], [['security@beta.example', 'Beta']]);
    assert.deepEqual(rows(db), [['security@beta.example', 'Beta', 'security@beta.example', 'Beta', 'self']]);
  });

  it("keeps a newcomer's leaks filed under a borrowed organization name on the newcomer, never on the real member", () => {
    const db = before0007(
      [
        ['security@beta.example', 'Beta'],
        ['security@newcomer.example', 'Beta'],
      ],
      [
        ['security@newcomer.example', 'Beta'],
        ['security@newcomer.example', 'Beta'],
        ['security@beta.example', 'Beta'],
      ],
    );
    assert.deepEqual(
      rows(db).map((r) => (r as string[])[2]),
      ['security@newcomer.example', 'security@newcomer.example', 'security@beta.example'],
    );
    assert.deepEqual(
      ownLeaksOf(db, 'security@beta.example', AT).map((l) => l.id),
      [3],
    );
    assert.deepEqual(
      ownLeaksOf(db, 'security@newcomer.example', AT).map((l) => l.id),
      [1, 2],
    );
  });

  it('maps a reporter written in another case to the member row as stored', () => {
    const db = before0007([['security@beta.example', 'Beta']], [['Security@Beta.example', 'Beta']]);
    assert.deepEqual(rows(db), [['Security@Beta.example', 'Beta', 'security@beta.example', 'Beta', 'self']]);
  });

  it('leaves unattributed, and says so, a leak whose reporter is no member row, even when one member has its organization name', () => {
    const db = before0007([['cert@beta.example', 'Beta']], [['gone@beta.example', 'Beta']]);
    assert.deepEqual(rows(db), [['gone@beta.example', 'Beta', null, null, 'unattributed']]);
    assert.deepEqual(ownLeaksOf(db, 'cert@beta.example', AT), []);
  });

  it('refuses an attribution outside the known kinds', () => {
    const db = before0007([['security@beta.example', 'Beta']], [['security@beta.example', 'Beta']]);
    assert.throws(() => db.prepare("UPDATE leaks SET attribution = 'organization'").run(), /CHECK constraint failed/);
  });
});
