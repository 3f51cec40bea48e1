// A ChatClient against a FakeNode, as the client and account unit tests start: `setup` for
// a fresh page, `loggedIn` for alice logged in (pw-alice) with her history requested.
import assert from 'node:assert/strict';
import { ChatClient } from '../../../web/src/protocol/client';
import { MemoryStore } from '../../../web/src/protocol/storage';
import { FakeNode, FakeTimers, subtle, until } from './fakes';

export const ALICE_HASH = '93a2e2a5e2351708dd2a7f25ce5484656768b5ffb7ea2f16350c0d57ef4d92d8'; // pw-alice (the vector)

export function setup(storage = new MemoryStore()) {
  const node = new FakeNode();
  const timers = new FakeTimers();
  const client = new ChatClient({
    url: 'wss://alpha.example/ws',
    createSocket: node.createSocket,
    storage,
    subtle,
    randomBytes: (n) => new Uint8Array(n).fill(7),
    timers,
    random: () => 0,
  });
  return { node, timers, client, storage };
}

export async function loggedIn(remember = true) {
  const s = setup();
  assert.equal(await s.client.login('alice', 'pw-alice', remember), null);
  await until(() => s.node.sent('MESSAGE_HISTORY_REQUEST').length > 0, 'the history request after login');
  return s;
}
