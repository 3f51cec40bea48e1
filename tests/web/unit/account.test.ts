// The account and block messages against a scripted node (docs/protocol.md §5 additions,
// §15): PASSWORD_CHANGE_REQUEST with both hashes derived as at login (the token stays),
// ACCOUNT_DELETE_REQUEST (the session and what the page kept are forgotten), USER_BLOCK /
// USER_UNBLOCK / BLOCK_LIST_REQUEST, code 2005 at login, and a close with 4001 that does
// not bring reconnects.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ACCOUNT_DELETED_MESSAGE, ADMIN_CLOSED_MESSAGE } from '../../../web/src/protocol/client';
import { MemoryStore, SESSION_KEY } from '../../../web/src/protocol/storage';
import type { Envelope } from '../../../web/src/protocol/types';
import { FakeNode, flush, type FakeSocket } from './fakes';
import { ALICE_HASH, loggedIn, setup } from './logged_in';

/** The derivation of protocol.md §5, written out independently of the page's code. */
const hashOf = (name: string, password: string) => createHash('sha256').update(`chatnode-password-v1:${name}:${password}`).digest('hex');


/** Answers `type` with `replyType` and the payload `make` builds from the request. */
function answer(node: FakeNode, type: string, replyType: string, make: (p: Record<string, unknown>) => Record<string, unknown>) {
  node.overrides.set(type, (sock: FakeSocket, env: Envelope) => sock.push({ type: replyType, id: env.id!, payload: make(env.payload) }));
}

test('password change: both hashes derived as at login; on success the stored token stays and logs in again', async () => {
  const s = await loggedIn(true);
  answer(s.node, 'PASSWORD_CHANGE_REQUEST', 'PASSWORD_CHANGE_RESPONSE', () => ({ username: 'alice@alpha.example', code: 0 }));
  const before = s.storage.getItem(SESSION_KEY);
  assert.equal(await s.client.changePassword('pw-alice', 'pw-new'), null);
  const sent = s.node.sent('PASSWORD_CHANGE_REQUEST');
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.payload, { username: 'alice@alpha.example', passwordHash: ALICE_HASH, newPasswordHash: hashOf('alice', 'pw-new') });
  assert.equal(s.client.session, 'logged-in');
  assert.equal(s.storage.getItem(SESSION_KEY), before);
  const everything = [...s.storage.data.values()].join('\n');
  assert.ok(!everything.includes('pw-new') && !everything.includes(hashOf('alice', 'pw-new')));
  s.node.socket.drop();
  s.timers.advance(1000);
  await flush();
  assert.deepEqual(s.node.sent('LOGIN_REQUEST').at(-1)!.payload, { username: 'alice', token: 'token-1' });
});

test('password change without a token: reconnects log in with the new passwordHash', async () => {
  const s = await loggedIn(false);
  answer(s.node, 'PASSWORD_CHANGE_REQUEST', 'PASSWORD_CHANGE_RESPONSE', () => ({ code: 0 }));
  assert.equal(await s.client.changePassword('pw-alice', 'pw-new'), null);
  s.node.socket.drop();
  s.timers.advance(1000);
  await flush();
  assert.deepEqual(s.node.sent('LOGIN_REQUEST').at(-1)!.payload, { username: 'alice', passwordHash: hashOf('alice', 'pw-new') });
});

test('password change refused: 2001 says the current password is wrong; an ERROR says why; empty fields are not sent', async () => {
  const s = await loggedIn(false);
  answer(s.node, 'PASSWORD_CHANGE_REQUEST', 'PASSWORD_CHANGE_RESPONSE', () => ({ code: 2001 }));
  assert.match((await s.client.changePassword('wrong', 'pw-new'))!, /wrong current password/i);
  answer(s.node, 'PASSWORD_CHANGE_REQUEST', 'ERROR', () => ({ code: 9007, message: 'locked out' }));
  assert.equal(await s.client.changePassword('pw-alice', 'pw-new'), 'Too many attempts; wait a moment and try again.');
  assert.match((await s.client.changePassword('', 'x'))!, /current password/);
  assert.equal(s.node.sent('PASSWORD_CHANGE_REQUEST').length, 2);
  // Nothing changed: a reconnect still uses the old hash.
  s.node.socket.drop();
  s.timers.advance(1000);
  await flush();
  assert.deepEqual(s.node.sent('LOGIN_REQUEST').at(-1)!.payload, { username: 'alice', passwordHash: ALICE_HASH });
});

test('account deletion: the password hash is sent; on success the session, token and read markers are gone, no reconnect', async () => {
  const s = await loggedIn(true);
  s.storage.setItem('chatnode.read.alice@alpha.example', '{"bob@beta.example":"5"}');
  answer(s.node, 'ACCOUNT_DELETE_REQUEST', 'ACCOUNT_DELETE_RESPONSE', () => ({ username: 'alice@alpha.example', code: 0 }));
  assert.equal(await s.client.deleteAccount('pw-alice'), null);
  assert.deepEqual(s.node.sent('ACCOUNT_DELETE_REQUEST')[0]!.payload, { username: 'alice@alpha.example', passwordHash: ALICE_HASH });
  assert.equal(s.client.session, 'logged-out');
  assert.equal(s.client.sessionMessage, ACCOUNT_DELETED_MESSAGE);
  assert.equal(s.storage.getItem(SESSION_KEY), null);
  assert.equal(s.storage.getItem('chatnode.read.alice@alpha.example'), null);
  const sockets = s.node.sockets.length;
  s.node.socket.drop(1000); // the node closes after the response
  s.timers.advance(120000);
  await flush();
  assert.equal(s.node.sockets.length, sockets);
});

test('account deletion with a wrong password: nothing happens, the session stays', async () => {
  const s = await loggedIn(true);
  answer(s.node, 'ACCOUNT_DELETE_REQUEST', 'ACCOUNT_DELETE_RESPONSE', () => ({ code: 2001 }));
  assert.match((await s.client.deleteAccount('nope'))!, /wrong password/i);
  assert.equal(s.client.session, 'logged-in');
  assert.notEqual(s.storage.getItem(SESSION_KEY), null);
});

test('blocking a friend: USER_BLOCK, then the friendship is gone and the user is in the block list; unblocking removes them', async () => {
  const s = await loggedIn(true);
  s.node.friends = [{ user: 'bob@beta.example', status: 'online' }];
  await s.client.social.loadFriends();
  answer(s.node, 'USER_BLOCK', 'USER_BLOCK_ACK', (p) => ({ sender: 'alice@alpha.example', receiver: p['receiver'], code: 0 }));
  s.node.friends = []; // what the node holds after the block
  assert.equal(await s.client.social.block('Bob@Beta.example'), null);
  assert.deepEqual(s.node.sent('USER_BLOCK')[0]!.payload, { sender: 'alice@alpha.example', receiver: 'bob@beta.example' });
  assert.equal(s.client.model.friends.has('bob@beta.example'), false);
  assert.deepEqual([...s.client.model.blocked], ['bob@beta.example']);

  answer(s.node, 'USER_UNBLOCK', 'USER_UNBLOCK_ACK', (p) => ({ sender: 'alice@alpha.example', receiver: p['receiver'], code: 0 }));
  assert.equal(await s.client.social.unblock('bob@beta.example'), null);
  assert.deepEqual(s.node.sent('USER_UNBLOCK')[0]!.payload, { sender: 'alice@alpha.example', receiver: 'bob@beta.example' });
  assert.equal(s.client.model.blocked.size, 0);
  assert.equal(s.client.model.friends.has('bob@beta.example'), false, 'an unblock does not bring the friendship back');
});

test('blocking the sender of a friend request drops the request; refusals say why', async () => {
  const s = await loggedIn(true);
  s.node.socket.push({ type: 'FRIEND_REQUEST', payload: { sender: 'mallory@beta.example', receiver: 'alice@alpha.example' } });
  await flush();
  assert.ok(s.client.model.incoming.has('mallory@beta.example'));
  answer(s.node, 'USER_BLOCK', 'USER_BLOCK_ACK', (p) => ({ receiver: p['receiver'], code: p['receiver'] === 'alice@alpha.example' ? 11001 : 0 }));
  assert.equal(await s.client.social.block('mallory@beta.example'), null);
  await flush();
  assert.equal(s.client.model.incoming.has('mallory@beta.example'), false);
  assert.equal(await s.client.social.block('alice@alpha.example'), 'You cannot block yourself.');
  assert.equal(s.client.model.blocked.has('alice@alpha.example'), false);
  // Unblocking someone no longer blocked (11002) is no error for the page.
  answer(s.node, 'USER_UNBLOCK', 'USER_UNBLOCK_ACK', (p) => ({ receiver: p['receiver'], code: 11002 }));
  assert.equal(await s.client.social.unblock('mallory@beta.example'), null);
  assert.equal(s.client.model.blocked.size, 0);
});

test('the block list comes from BLOCK_LIST_RESPONSE', async () => {
  const s = await loggedIn(true);
  answer(s.node, 'BLOCK_LIST_REQUEST', 'BLOCK_LIST_RESPONSE', () => ({ username: 'alice@alpha.example', blocked: ['eve@alpha.example', 'mallory@beta.example'], code: 0 }));
  assert.equal(await s.client.social.loadBlocks(), null);
  assert.deepEqual(s.node.sent('BLOCK_LIST_REQUEST')[0]!.payload, { username: 'alice@alpha.example' });
  assert.deepEqual([...s.client.model.blocked], ['eve@alpha.example', 'mallory@beta.example']);
});

test('a locked account (2005): the login form says so, on a first login and on a token login', async () => {
  const first = setup();
  first.node.loginCode = 2005;
  assert.equal(await first.client.login('alice', 'pw-alice', true), 'This account is locked by the administrator.');
  assert.equal(first.client.conn.state.phase, 'stopped');

  const storage = new MemoryStore();
  storage.setItem(SESSION_KEY, JSON.stringify({ user: 'alice@alpha.example', token: 'token-9', expires: 1800000000 }));
  const again = setup(storage);
  again.node.loginCode = 2005;
  again.client.resume();
  await flush();
  assert.equal(again.client.session, 'logged-out');
  assert.equal(again.client.sessionMessage, 'This account is locked by the administrator.');
  const sockets = again.node.sockets.length;
  again.timers.advance(120000);
  await flush();
  assert.equal(again.node.sockets.length, sockets, 'no retry');
});

test('a close with 4001 (the administrator): back to the login form with the reason, and no reconnecting', async () => {
  const s = await loggedIn(true);
  s.node.socket.drop(4001);
  await flush();
  assert.equal(s.client.session, 'logged-out');
  assert.equal(s.client.sessionMessage, ADMIN_CLOSED_MESSAGE);
  assert.equal(s.client.conn.state.phase, 'stopped');
  assert.equal(s.storage.getItem(SESSION_KEY), null);
  const sockets = s.node.sockets.length;
  s.timers.advance(600000);
  await flush();
  assert.equal(s.node.sockets.length, sockets, 'no reconnect until the person logs in again');
  // Logging in again works as ever.
  assert.equal(await s.client.login('alice', 'pw-alice', true), null);
  assert.equal(s.client.session, 'logged-in');
});

test('other closes still reconnect', async () => {
  const s = await loggedIn(true);
  const sockets = s.node.sockets.length;
  s.node.socket.drop(1001);
  s.timers.advance(1000);
  await flush();
  assert.equal(s.node.sockets.length, sockets + 1);
  assert.equal(s.client.session, 'logged-in');
});
