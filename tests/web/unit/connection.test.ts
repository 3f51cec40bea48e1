// The connection: request/reply by id, reconnecting with exponential backoff and jitter,
// pending requests failing when the socket goes, stop() meaning stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../web/src/protocol/backoff';
import { Connection, RequestError, type ConnectionState } from '../../../web/src/protocol/connection';
import type { Envelope } from '../../../web/src/protocol/types';
import { FakeSocket, FakeTimers, flush } from './fakes';

function setup(random = () => 0.5) {
  const timers = new FakeTimers();
  const sockets: FakeSocket[] = [];
  const conn = new Connection({ url: 'wss://node.example/ws', createSocket: (u) => (sockets.push(new FakeSocket(u, null)), sockets[sockets.length - 1]!), timers, random });
  const states: ConnectionState[] = [];
  const messages: Envelope[] = [];
  conn.onState = (s) => states.push(s);
  conn.onMessage = (m) => messages.push(m);
  return { timers, sockets, conn, states, messages };
}

test('backoff doubles from 1 s up to 30 s, jittered within the upper half of each step', () => {
  const steps = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => [backoffDelay(DEFAULT_BACKOFF, a, 0), backoffDelay(DEFAULT_BACKOFF, a, 0.999999)]);
  assert.deepEqual(steps.map(([lo]) => lo), [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  assert.deepEqual(steps.map(([, hi]) => hi), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('a reply is matched to its request by id; other messages go to onMessage', async () => {
  const { sockets, conn, messages } = setup();
  conn.start();
  sockets[0]!.open();
  const reply = conn.request('FRIEND_LIST_REQUEST', { username: 'alice' });
  const sent = sockets[0]!.sent[0]!;
  assert.equal(sent.type, 'FRIEND_LIST_REQUEST');
  assert.ok(sent.id);
  sockets[0]!.push({ type: 'TEXT_MESSAGE', payload: { content: 'hi' } });
  sockets[0]!.push({ type: 'FRIEND_LIST_RESPONSE', id: sent.id, payload: { code: 0 } });
  assert.equal((await reply).type, 'FRIEND_LIST_RESPONSE');
  assert.deepEqual(messages.map((m) => m.type), ['TEXT_MESSAGE']);
});

test('a lost connection fails pending requests and reconnects after a growing, jittered delay', async () => {
  const { timers, sockets, conn, states } = setup(() => 0.5);
  conn.start();
  sockets[0]!.open();
  const pending = conn.request('GROUP_LIST_REQUEST', {});
  sockets[0]!.drop();
  await assert.rejects(pending, (e: unknown) => e instanceof RequestError && e.reason === 'closed');
  const waits: number[] = [];
  for (let attempt = 0; attempt < 7; attempt++) {
    const s = states[states.length - 1]!;
    assert.equal(s.phase, 'waiting');
    if (s.phase === 'waiting') waits.push(s.retryAt - timers.now());
    timers.advance(waits[waits.length - 1]! - 1);
    assert.equal(sockets.length, attempt + 1, 'no reconnect before the delay');
    timers.advance(1);
    assert.equal(sockets.length, attempt + 2, 'reconnect at the delay');
    sockets[sockets.length - 1]!.drop(); // the node is still down
  }
  assert.deepEqual(waits, [750, 1500, 3000, 6000, 12000, 22500, 22500]);
  await flush();
});

test('markHealthy() restarts the backoff; retryNow() skips the wait; stop() stops', () => {
  const { timers, sockets, conn, states } = setup(() => 0);
  conn.start();
  sockets[0]!.drop();
  timers.advance(500);
  sockets[1]!.drop();
  let s = states[states.length - 1]!;
  assert.equal(s.phase === 'waiting' && s.retryAt - timers.now(), 1000);
  conn.retryNow();
  assert.equal(sockets.length, 3);
  sockets[2]!.open();
  conn.markHealthy();
  sockets[2]!.drop();
  s = states[states.length - 1]!;
  assert.equal(s.phase === 'waiting' && s.retryAt - timers.now(), 500);
  conn.stop();
  timers.advance(60000);
  assert.equal(sockets.length, 3);
  assert.equal(conn.state.phase, 'stopped');
});

test('a connection attempt that hangs is given up and retried', () => {
  const { timers, sockets, conn } = setup(() => 0);
  conn.start();
  timers.advance(15000);
  assert.equal(conn.state.phase, 'waiting');
  assert.ok(sockets[0]!.closedByClient);
  timers.advance(500);
  assert.equal(sockets.length, 2);
});

test('send() refuses while not connected; request() rejects at once', async () => {
  const { conn } = setup();
  assert.equal(conn.send('USER_STATUS_UPDATE', {}), false);
  await assert.rejects(conn.request('FRIEND_LIST_REQUEST', {}), (e: unknown) => e instanceof RequestError && e.reason === 'not-open');
});
