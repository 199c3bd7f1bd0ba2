import assert from 'node:assert/strict';
import { AppError, errorCode, errorMessage } from '../../src/errors';

describe('errors', () => {
  it('keeps the stable code and the sentence of an AppError', () => {
    const err = new AppError('MESSAGE_NO_FROM', 'the message has no From header');
    assert.equal(err.code, 'MESSAGE_NO_FROM');
    assert.equal(err.message, 'the message has no From header');
    assert.equal(err.name, 'AppError');
    assert.ok(err instanceof Error);
  });

  it('gives the code of our errors and HANDLER_FAILED for anything else thrown', () => {
    assert.equal(errorCode(new AppError('DB_TOO_NEW', 'x')), 'DB_TOO_NEW');
    assert.equal(errorCode(new TypeError('x')), 'HANDLER_FAILED');
    assert.equal(errorCode('a string'), 'HANDLER_FAILED');
    assert.equal(errorCode(undefined), 'HANDLER_FAILED');
  });

  it('gives the message of an error, or the thrown value as text', () => {
    assert.equal(errorMessage(new Error('boom')), 'boom');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(null), 'null');
  });
});
