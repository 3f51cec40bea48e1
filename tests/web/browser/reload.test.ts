// Staying logged in: a reload logs in again with the resumption token (docs/protocol.md §5),
// never with a stored password; the conversation's history shows again, the latest page on
// opening and older pages when scrolling up (MESSAGE_HISTORY with `before`). Logging out
// revokes the token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { World } from './harness';
import { connectionIs, message, messages, open, send, sent, twoFriends } from './ui';

const MESSAGES = 130; // more than the latest messages fetched at login (100)

test('a reload stays logged in with the token and shows the history; logout ends it', { timeout: 180000 }, async () => {
  const world = new World();
  let ok = false;
  try {
    const { alice, bob } = await twoFriends(world, 'correct horse battery staple');
    await open(bob, 'alice@localhost');
    for (let i = 1; i <= MESSAGES; i++) await send(bob, `message ${i}`);
    await sent(bob, `message ${MESSAGES}`);
    await open(alice, 'bob@localhost');
    await message(alice, `message ${MESSAGES}`).waitFor();
    await send(alice, 'my answer');
    await sent(alice, 'my answer');

    const frames: string[] = [];
    alice.on('websocket', (ws) => ws.on('framesent', (f) => frames.push(String(f.payload))));
    await alice.reload();
    await alice.getByRole('button', { name: 'Log out' }).waitFor();
    await connectionIs(alice, 'Online');
    const login = frames.map((f) => JSON.parse(f)).find((m) => m.type === 'LOGIN_REQUEST');
    assert.ok(login?.payload.token, 'logged in with the token');
    assert.equal(login.payload.passwordHash, undefined);

    // The page keeps a token, never the password nor passwordHash.
    const stored = await alice.evaluate(() => JSON.stringify({ ...localStorage }));
    const hash = createHash('sha256').update('chatnode-password-v1:alice:correct horse battery staple').digest('hex');
    assert.ok(!stored.includes('correct horse') && !stored.includes(hash), stored);
    assert.ok(stored.includes(login.payload.token));

    await open(alice, 'bob@localhost');
    await message(alice, 'my answer').waitFor();
    await message(alice, `message ${MESSAGES}`).waitFor();
    assert.equal(await message(alice, 'message 1').count(), 0, 'only the latest page at first');
    await messages(alice).locator('xpath=..').evaluate((el) => el.scrollTo(0, 0));
    await message(alice, 'message 1').waitFor();
    await alice.getByText('This is the beginning of the conversation.').waitFor();
    const paged = frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'MESSAGE_HISTORY_REQUEST' && m.payload.before);
    assert.ok(paged.length >= 1, 'older messages were asked for with `before`');
    assert.equal(await messages(alice).locator('p.text').count(), MESSAGES + 1);

    // Logging out revokes the token: the next reload shows the login form.
    await alice.getByRole('button', { name: 'Log out' }).click();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await alice.evaluate(() => localStorage.getItem('chatnode.session')), null);
    await alice.reload();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    ok = true;
  } finally {
    await world.close(!ok);
  }
});
