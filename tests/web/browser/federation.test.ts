// Two federated nodes (alpha.test, beta.test; a federation CA made for the test): Alice on
// alpha's web client befriends bob@beta.test, and they chat across the link both ways.
import { test } from 'node:test';
import { World } from './harness';
import { befriend, message, open, register, send, sent } from './ui';

test('a conversation with a user of another, federated node', { timeout: 180000 }, async () => {
  const world = new World();
  let ok = false;
  try {
    const [alpha, beta] = await world.federation(['alpha.test', 'beta.test']);
    const alice = await world.page(alpha!);
    const bob = await world.page(beta!);
    await register(alice, 'alice', 'alice password');
    await register(bob, 'bob', 'bob password');
    await befriend(alice, bob, 'alice@alpha.test', 'bob@beta.test');
    await open(alice, 'bob@beta.test');
    await send(alice, 'Hello from alpha');
    await sent(alice, 'Hello from alpha');
    await open(bob, 'alice@alpha.test');
    await message(bob, 'Hello from alpha').waitFor();
    await send(bob, 'Hi from beta');
    await message(alice, 'Hi from beta').waitFor();
    ok = true;
  } finally {
    await world.close(!ok);
  }
});
