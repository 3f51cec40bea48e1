// base64 of media chunks: the same text as Node's Buffer, and invalid input refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeBase64, encodeBase64 } from '../../../web/src/protocol/base64';

test('encodes like Buffer for every length up to 300 and for a 32 KiB chunk', () => {
  for (const n of [...Array(301).keys(), 32 * 1024, 32 * 1024 + 1]) {
    const bytes = new Uint8Array(randomBytes(n));
    const expected = Buffer.from(bytes).toString('base64');
    assert.equal(encodeBase64(bytes), expected, `length ${n}`);
    assert.deepEqual(decodeBase64(expected), bytes, `length ${n}`);
  }
});

test('refuses what is not padded base64', () => {
  for (const bad of ['abc', 'ab=c', '====', 'a===', 'ab!d', 'YWJj\n', 'Y=Jj']) assert.equal(decodeBase64(bad), null, bad);
  assert.deepEqual(decodeBase64(''), new Uint8Array());
});
