import assert from 'node:assert/strict';
import type { Db } from '../../../src/store/db';
import {
  activeMembers,
  allMembers,
  findMember,
  isActiveMember,
  removeMember,
  upsertMember,
} from '../../../src/store/members';
import { migratedMemoryDb } from '../../helpers/context';

const T0 = '2026-03-10T09:00:00.000Z';
const T1 = '2026-03-11T09:00:00.000Z';

describe('store/members', () => {
  let db: Db;
  beforeEach(() => {
    db = migratedMemoryDb();
  });

  it('adds a member as active', () => {
    assert.equal(upsertMember(db, 'security@org.example', 'Org', T0), 'added');
    assert.equal(isActiveMember(db, 'security@org.example'), true);
    assert.deepEqual(
      activeMembers(db).map((m) => [m.address, m.organization, m.added_at]),
      [['security@org.example', 'Org', T0]],
    );
  });

  it('finds a member by its address in odd case', () => {
    upsertMember(db, 'security@org.example', 'Org', T0);
    assert.equal(isActiveMember(db, 'SECURITY@Org.Example'), true);
    assert.equal(upsertMember(db, 'Security@ORG.example', 'Org', T0), 'unchanged');
    assert.equal(allMembers(db).length, 1);
  });

  it('says a stranger is not a member', () => {
    upsertMember(db, 'security@org.example', 'Org', T0);
    assert.equal(isActiveMember(db, 'security@org.example.evil.example'), false);
    assert.equal(findMember(db, 'nobody@org.example'), undefined);
  });

  it('removes a member, who then gets no mail and is not a member', () => {
    upsertMember(db, 'a@org.example', 'Org', T0);
    upsertMember(db, 'b@org.example', 'Org', T0);
    assert.equal(removeMember(db, 'a@org.example', T1), true);
    assert.equal(isActiveMember(db, 'a@org.example'), false);
    assert.deepEqual(
      activeMembers(db).map((m) => m.address),
      ['b@org.example'],
    );
    assert.equal(findMember(db, 'a@org.example')?.removed_at, T1);
  });

  it('says nothing was removed for a stranger or an already removed member', () => {
    upsertMember(db, 'a@org.example', 'Org', T0);
    removeMember(db, 'a@org.example', T1);
    assert.equal(removeMember(db, 'a@org.example', T1), false);
    assert.equal(removeMember(db, 'nobody@org.example', T1), false);
  });

  it('re-activates a removed member', () => {
    upsertMember(db, 'a@org.example', 'Org', T0);
    removeMember(db, 'a@org.example', T1);
    assert.equal(upsertMember(db, 'a@org.example', 'New Org', T1), 'reactivated');
    const m = findMember(db, 'a@org.example')!;
    assert.deepEqual([m.status, m.organization, m.removed_at], ['active', 'New Org', null]);
  });

  it('changes the organization of an active member and says so', () => {
    upsertMember(db, 'a@org.example', 'Org', T0);
    assert.equal(upsertMember(db, 'a@org.example', 'Renamed Org', T1), 'updated');
    assert.equal(findMember(db, 'a@org.example')?.organization, 'Renamed Org');
    assert.equal(findMember(db, 'a@org.example')?.added_at, T0);
  });

  it('lists active members in address order', () => {
    for (const a of ['c@org.example', 'a@org.example', 'b@org.example']) upsertMember(db, a, 'Org', T0);
    assert.deepEqual(
      activeMembers(db).map((m) => m.address),
      ['a@org.example', 'b@org.example', 'c@org.example'],
    );
  });
});
