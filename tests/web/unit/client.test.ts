// The client core against a scripted node: logins with passwordHash and tokens (and what is
// stored: never the password), the inbox and unread counts, history on opening and paging
// with `before`, catch-up with `after` after a reconnect, sending with the ACK state,
// friends and groups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, SESSION_KEY } from '../../../web/src/protocol/storage';
import { flush, until } from './fakes';
import { ALICE_HASH, loggedIn, setup } from './logged_in';



test('login sends the derived passwordHash and asks for a token; the token is stored, the password never', async () => {
  const { node, client, storage } = await loggedIn(true);
  const login = node.sent('LOGIN_REQUEST')[0]!;
  assert.deepEqual(login.payload, { username: 'alice', passwordHash: ALICE_HASH, requestToken: true });
  assert.equal(client.session, 'logged-in');
  assert.equal(client.me(), 'alice@alpha.example');
  const stored = JSON.parse(storage.getItem(SESSION_KEY)!);
  assert.deepEqual(stored, { user: 'alice@alpha.example', token: 'token-1', expires: 1700000000 + 30 * 86400 });
  const everything = [...storage.data.values()].join('\n');
  assert.ok(!everything.includes('pw-alice') && !everything.includes(ALICE_HASH));
});

test('after a token was given, a reconnect logs in with the token, not the password', async () => {
  const { node, timers } = await loggedIn(true);
  node.socket.drop();
  timers.advance(1000);
  await flush();
  const logins = node.sent('LOGIN_REQUEST');
  assert.equal(logins.length, 2);
  assert.deepEqual(logins[1]!.payload, { username: 'alice', token: 'token-1' });
});

test('"keep me logged in" off: no token asked, nothing stored, reconnects use passwordHash from memory', async () => {
  const { node, timers, storage } = await loggedIn(false);
  assert.deepEqual(node.sent('LOGIN_REQUEST')[0]!.payload, { username: 'alice', passwordHash: ALICE_HASH });
  assert.equal(storage.getItem(SESSION_KEY), null);
  node.socket.drop();
  timers.advance(1000);
  await flush();
  assert.deepEqual(node.sent('LOGIN_REQUEST')[1]!.payload, { username: 'alice', passwordHash: ALICE_HASH });
});

test('a page load resumes with the stored token; a rejected token ends the session', async () => {
  const storage = new MemoryStore();
  storage.setItem(SESSION_KEY, JSON.stringify({ user: 'alice@alpha.example', token: 'token-9', expires: 1800000000 }));
  const { node, client } = setup(storage);
  node.tokens.add('token-9');
  assert.equal(client.resume(), true);
  assert.equal(client.session, 'resuming');
  await flush();
  assert.deepEqual(node.sent('LOGIN_REQUEST')[0]!.payload, { username: 'alice@alpha.example', token: 'token-9' });
  assert.equal(client.session, 'logged-in');

  const again = setup(storage);
  assert.equal(again.client.resume(), true);
  await flush();
  assert.equal(again.client.session, 'logged-out');
  assert.match(again.client.sessionMessage, /session has ended/);
  assert.equal(storage.getItem(SESSION_KEY), null);
});

test('an expired stored token is not tried', () => {
  const storage = new MemoryStore();
  storage.setItem(SESSION_KEY, JSON.stringify({ user: 'alice@alpha.example', token: 't', expires: 1600000000 }));
  const { client, node } = setup(storage);
  assert.equal(client.resume(), false);
  assert.equal(node.sockets.length, 0);
});

test('wrong password: the login form gets the reason and the connection stops', async () => {
  const { node, client } = setup();
  node.loginCode = 2001;
  const result = client.login('alice', 'nope', true);
  await flush();
  assert.equal(await result, 'Wrong username or password.');
  assert.equal(client.session, 'logged-out');
  assert.equal(client.conn.state.phase, 'stopped');
});

test('the inbox at login lands in conversations with unread counts; opening one reads it', async () => {
  const s = setup();
  s.node.friends = [{ user: 'bob@alpha.example', status: 'online' }];
  const result = s.client.login('alice', 'pw-alice', true);
  await until(() => s.node.sent('LOGIN_REQUEST').length > 0, 'LOGIN_REQUEST');
  // The node delivers the inbox right after LOGIN_RESPONSE.
  for (const content of ['hi', 'are you there?']) {
    const m = s.node.addMessage({ timestamp: 1700000000, sender: 'bob@alpha.example', receiver: 'alice@alpha.example', content });
    s.node.socket.push({ type: 'TEXT_MESSAGE', timestamp: 1700000000, payload: { ...m } });
  }
  await flush();
  assert.equal(await result, null);
  const conv = s.client.model.conversations.get('bob@alpha.example')!;
  assert.deepEqual(conv.items.map((i) => i.content), ['hi', 'are you there?']);
  assert.equal(conv.unread, 2);
  s.client.messaging.setView('bob@alpha.example', true);
  assert.equal(conv.unread, 0);
  assert.equal(s.storage.getItem('chatnode.read.alice@alpha.example'), JSON.stringify({ 'bob@alpha.example': conv.items[1]!.messageId }));
});

test('the first login fetches the latest messages; opening a conversation its last page; scrolling up pages with `before`', async () => {
  const s = setup();
  for (let i = 0; i < 120; i++)
    s.node.addMessage({ timestamp: 1700000000 + i, sender: i % 2 ? 'alice@alpha.example' : 'bob@alpha.example', receiver: i % 2 ? 'bob@alpha.example' : 'alice@alpha.example', content: `m${i}` });
  assert.equal(await s.client.login('alice', 'pw-alice', true), null);
  await until(() => s.node.sent('MESSAGE_HISTORY_COMPLETE_ACK').length > 0, 'the first history sync');
  const recent = s.node.sent('MESSAGE_HISTORY_REQUEST')[0]!;
  assert.deepEqual(recent.payload, { username: 'alice@alpha.example', limit: 100 });
  // Every step of the sync was acknowledged.
  assert.equal(s.node.sent('MESSAGE_HISTORY_BEGIN_ACK').length, 1);
  assert.deepEqual(s.node.sent('MESSAGE_HISTORY_DATA_ACK').map((a) => a.payload['chunkIndex']), [1, 2, 3]);
  assert.equal(s.node.sent('MESSAGE_HISTORY_COMPLETE_ACK').length, 1);

  const conv = s.client.model.conversations.get('bob@alpha.example')!;
  assert.equal(conv.items.length, 100); // the latest 100 of 120
  conv.items.splice(0, 80); // as if only the last 20 were here
  conv.reachedStart = false;
  await s.client.messaging.loadOlder('bob@alpha.example');
  await flush();
  const older = s.node.sent('MESSAGE_HISTORY_REQUEST').at(-1)!;
  assert.deepEqual(older.payload, { username: 'alice@alpha.example', with: 'bob@alpha.example', before: '200', limit: 50 });
  assert.equal(conv.items.length, 70);
  assert.equal(conv.items[0]!.content, 'm50');
  assert.deepEqual(conv.items.map((i) => Number(i.messageId)), [...Array(70).keys()].map((k) => 150 + k));
});

test('after a reconnect the client catches up with `after` = the last message id it saw', async () => {
  const s = await loggedIn();
  const first = s.node.addMessage({ timestamp: 1700000001, sender: 'bob@alpha.example', receiver: 'alice@alpha.example', content: 'before the drop' });
  s.node.socket.push({ type: 'TEXT_MESSAGE', timestamp: 1700000001, payload: { ...first } });
  await flush();
  s.node.socket.drop();
  // Stored while the page was away (its delivery was lost with the connection).
  s.node.addMessage({ timestamp: 1700000002, sender: 'bob@alpha.example', receiver: 'alice@alpha.example', content: 'during the drop' });
  s.timers.advance(1000);
  await flush();
  const catchUp = s.node.sent('MESSAGE_HISTORY_REQUEST').at(-1)!;
  assert.deepEqual(catchUp.payload, { username: 'alice@alpha.example', after: first.messageId, limit: 500 });
  const conv = s.client.model.conversations.get('bob@alpha.example')!;
  assert.deepEqual(conv.items.map((i) => i.content), ['before the drop', 'during the drop']);
});

test('a text shows "sending" until its ACK, then "sent" with the node\'s messageId', async () => {
  const s = await loggedIn();
  s.node.holdTextAcks = true;
  assert.equal(s.client.sendText('bob@alpha.example', '  hello bob  '), null);
  await flush();
  const item = s.client.model.conversations.get('bob@alpha.example')!.items[0]!;
  assert.equal(item.delivery, 'sending');
  const sent = s.node.sent('TEXT_MESSAGE')[0]!;
  assert.deepEqual(sent.payload, { sender: 'alice@alpha.example', receiver: 'bob@alpha.example', content: 'hello bob' });
  s.node.socket.push({ type: 'TEXT_MESSAGE_ACK', id: sent.id!, payload: { messageId: '4242', receiver: 'bob@alpha.example', code: 0 } });
  await flush();
  assert.equal(item.delivery, 'sent');
  assert.equal(item.messageId, '4242');
});

test('a refused text says why; an empty one is not sent', async () => {
  const s = await loggedIn();
  s.node.overrides.set('TEXT_MESSAGE', (sock, env) => sock.push({ type: 'TEXT_MESSAGE_ACK', id: env.id!, payload: { receiver: 'carol', code: 7002 } }));
  assert.equal(s.client.sendText('carol@alpha.example', '   '), 'Type a message first.');
  s.client.sendText('carol@alpha.example', 'hi');
  await flush();
  const item = s.client.model.conversations.get('carol@alpha.example')!.items[0]!;
  assert.equal(item.delivery, 'failed');
  assert.equal(item.error, 'You can only message friends.');
});

test('a text whose ACK was lost with the connection is found by the catch-up, not sent twice', async () => {
  const s = await loggedIn();
  s.node.holdTextAcks = true;
  s.client.sendText('bob@alpha.example', 'did this arrive?');
  await flush();
  s.node.socket.drop();
  s.timers.advance(1000);
  await flush();
  assert.equal(s.node.sent('TEXT_MESSAGE').length, 1);
  const items = s.client.model.conversations.get('bob@alpha.example')!.items;
  assert.equal(items.length, 1);
  assert.equal(items[0]!.delivery, 'sent');
  assert.equal(items[0]!.messageId, s.node.history[0]!.messageId);
});

test('a text written while offline is sent after the next login', async () => {
  const s = await loggedIn();
  s.node.socket.drop();
  s.client.sendText('bob@alpha.example', 'queued');
  assert.equal(s.node.sent('TEXT_MESSAGE').length, 0);
  s.timers.advance(1000);
  await flush();
  assert.equal(s.node.sent('TEXT_MESSAGE').length, 1);
  assert.equal(s.client.model.conversations.get('bob@alpha.example')!.items[0]!.delivery, 'sent');
});

test('friend requests: incoming shown, answered with FRIEND_REQUEST_RESPONSE; an ERROR to the answer is shown', async () => {
  const s = await loggedIn();
  s.node.socket.push({ type: 'FRIEND_REQUEST', payload: { sender: 'bob@beta.example', receiver: 'alice@alpha.example' } });
  await flush(2);
  assert.ok(s.client.model.incoming.has('bob@beta.example'));
  assert.equal(s.client.social.answerFriendRequest('bob@beta.example', false), null);
  const answer = s.node.sent('FRIEND_REQUEST_RESPONSE')[0]!;
  assert.deepEqual(answer.payload, { sender: 'bob@beta.example', receiver: 'alice@alpha.example', code: 3004 });
  s.node.socket.push({ type: 'ERROR', id: answer.id!, payload: { code: 3007, message: 'no pending request', inReplyTo: 'FRIEND_REQUEST_RESPONSE' } });
  await flush(2);
  assert.equal(s.client.model.notices.at(-1)!.text, 'There is no pending request to answer.');
});

test('sending a friend request: the ACK code decides; presence updates move friends', async () => {
  const s = await loggedIn();
  s.node.overrides.set('FRIEND_REQUEST', (sock, env) =>
    sock.push({ type: 'FRIEND_REQUEST_ACK', id: env.id!, payload: { sender: 'alice@alpha.example', receiver: env.payload['receiver'], code: env.payload['receiver'] === 'nobody' ? 3001 : 0 } }));
  assert.equal(await s.client.social.sendFriendRequest('nobody'), 'No such user.');
  assert.equal(await s.client.social.sendFriendRequest(' Bob@Beta.Example '), null);
  assert.equal(s.node.sent('FRIEND_REQUEST').at(-1)!.payload['receiver'], 'bob@beta.example');
  s.node.friends = [{ user: 'bob@beta.example', status: 'offline' }];
  await s.client.social.loadFriends();
  s.node.socket.push({ type: 'USER_STATUS_UPDATE', payload: { username: 'bob@beta.example', status: 'away' } });
  await flush(2);
  assert.equal(s.client.model.friends.get('bob@beta.example'), 'away');
  s.node.socket.push({ type: 'USER_LOGOUT', payload: { username: 'bob@beta.example' } });
  await flush(2);
  assert.equal(s.client.model.friends.get('bob@beta.example'), 'offline');
});

test('groups: create from friends, join an invitation, group messages in the group conversation', async () => {
  const s = await loggedIn();
  s.node.overrides.set('GROUP_CREATE', (sock, env) =>
    sock.push({ type: 'GROUP_CREATE_ACK', id: env.id!, payload: { sender: 'alice@alpha.example', members: env.payload['members'], name: env.payload['name'], code: 0, groupId: '#g1@alpha.example' } }));
  const created = await s.client.social.createGroup(' Book club ', ['bob@alpha.example']);
  assert.deepEqual(created, { error: null, groupId: '#g1@alpha.example' });
  assert.deepEqual(s.node.sent('GROUP_CREATE')[0]!.payload, { sender: 'alice@alpha.example', members: ['bob@alpha.example'], name: 'Book club' });
  assert.equal(s.client.model.conversations.get('#g1@alpha.example')!.title, 'Book club');

  s.node.invitations = [{ groupId: '#g2@alpha.example', name: 'Hikes', inviter: 'carol@alpha.example' }];
  s.node.socket.push({ type: 'GROUP_INVITE', payload: { sender: 'carol@alpha.example', receiver: 'alice@alpha.example', group: 'Hikes', groupId: '#g2@alpha.example' } });
  await flush(2);
  assert.equal(s.client.model.invitations.get('#g2@alpha.example')!.inviter, 'carol@alpha.example');
  assert.equal(s.client.social.answerInvitation('#g2@alpha.example', true), null);
  assert.deepEqual(s.node.sent('GROUP_INVITE_RESPONSE')[0]!.payload, {
    sender: 'carol@alpha.example', receiver: 'alice@alpha.example', group: 'Hikes', groupId: '#g2@alpha.example', code: 0,
  });
  s.node.socket.push({ type: 'TEXT_MESSAGE', payload: { sender: 'carol@alpha.example', receiver: '#g2@alpha.example', content: 'welcome', messageId: '7', groupId: '#g2@alpha.example', group: 'Hikes' } });
  await flush(2);
  const g2 = s.client.model.conversations.get('#g2@alpha.example')!;
  assert.equal(g2.kind, 'group');
  assert.deepEqual(g2.items.map((i) => [i.sender, i.content]), [['carol@alpha.example', 'welcome']]);
});

test('logout sends USER_LOGOUT and forgets the session', async () => {
  const s = await loggedIn();
  s.client.logout();
  assert.deepEqual(s.node.sent('USER_LOGOUT')[0]!.payload, { username: 'alice@alpha.example' });
  assert.equal(s.client.session, 'logged-out');
  assert.equal(s.storage.getItem(SESSION_KEY), null);
  assert.equal(s.client.model.conversations.size, 0);
});
