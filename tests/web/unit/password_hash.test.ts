// passwordHash derivation against the published vector (docs/vectors/crypto/password_hash.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { derivePasswordHash, localName } from '../../../web/src/protocol/password_hash';
import { subtle } from './fakes';

interface Case {
  username: string;
  password: string;
  name: string;
  passwordHash: string;
}

const source = process.env['CHATNODE_SOURCE_DIR'] ?? path.resolve(process.cwd());
const vector = JSON.parse(readFileSync(path.join(source, 'docs/vectors/crypto/password_hash.json'), 'utf8')) as { cases: Case[] };

test('the vector has cases', () => {
  assert.ok(vector.cases.length >= 5);
});

for (const c of vector.cases) {
  test(`passwordHash of ${JSON.stringify(c.username)} / ${JSON.stringify(c.password)}`, async () => {
    assert.equal(localName(c.username), c.name);
    assert.equal(await derivePasswordHash(subtle, c.username, c.password), c.passwordHash);
  });
}

test('non-ASCII capitals in a name are not folded (ASCII lower case only)', () => {
  assert.equal(localName('ÄBC@x.example'), 'Äbc');
});
