import assert from 'node:assert/strict';
import { getCheckpoint, saveCheckpoint } from '../../../src/store/checkpoints';
import { migratedMemoryDb } from '../../helpers/context';

describe('store/checkpoints', () => {
  it('has no checkpoint for a mailbox never seen', () => {
    assert.equal(getCheckpoint(migratedMemoryDb(), 'INBOX'), undefined);
  });

  it('keeps the highest UID seen under one UIDVALIDITY', () => {
    const db = migratedMemoryDb();
    saveCheckpoint(db, 'INBOX', 7, 10, 't1');
    saveCheckpoint(db, 'INBOX', 7, 4, 't2');
    assert.deepEqual(getCheckpoint(db, 'INBOX'), { mailbox: 'INBOX', uidvalidity: 7, last_uid: 10, updated_at: 't2' });
  });

  it('starts again from the new UIDs when UIDVALIDITY changes', () => {
    const db = migratedMemoryDb();
    saveCheckpoint(db, 'INBOX', 7, 10, 't1');
    saveCheckpoint(db, 'INBOX', 8, 2, 't2');
    assert.deepEqual(getCheckpoint(db, 'INBOX'), { mailbox: 'INBOX', uidvalidity: 8, last_uid: 2, updated_at: 't2' });
  });

  it('keeps mailboxes apart', () => {
    const db = migratedMemoryDb();
    saveCheckpoint(db, 'INBOX', 7, 10, 't1');
    saveCheckpoint(db, 'Other', 1, 3, 't1');
    assert.equal(getCheckpoint(db, 'INBOX')?.last_uid, 10);
    assert.equal(getCheckpoint(db, 'Other')?.last_uid, 3);
  });
});
