// What the page does when the node's administrator steps in (docs/protocol.md §1, code
// 2005): `chatnode admin user lock` closes the session with 4001, the page shows why and
// opens no new connection by itself; logging in says the account is locked; after
// `user unlock` the person logs in again. `session kick` the same, without the lock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World } from './harness';
import { login, register } from './ui';

test('a locked account and a kicked session: no reconnect loop, the reason on the login form', { timeout: 180000 }, async (t) => {
  const world = new World();
  let ok = false;
  try {
    const node = await world.node('localhost');
    const alice = await world.page(node);
    let sockets = 0;
    alice.on('websocket', () => sockets++);
    await register(alice, 'alice', 'alice password');

    node.admin('user', 'lock', 'alice');
    await alice.getByText('Your session was closed by the administrator.').waitFor();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    const after = sockets;
    await alice.waitForTimeout(3000); // longer than the first backoff steps (1 s, 2 s)
    assert.equal(sockets, after, 'no reconnect after a close with 4001');
    assert.equal(await alice.evaluate(() => localStorage.getItem('chatnode.session')), null);

    await alice.getByLabel('Username').fill('alice');
    await alice.getByLabel('Password').fill('alice password');
    await alice.getByRole('button', { name: 'Log in' }).click();
    await alice.getByText('This account is locked by the administrator.').waitFor();

    node.admin('user', 'unlock', 'alice');
    await login(alice, 'alice', 'alice password');

    node.admin('session', 'kick', 'alice');
    await alice.getByText('Your session was closed by the administrator.').waitFor();
    const kicked = sockets;
    await alice.waitForTimeout(3000);
    assert.equal(sockets, kicked, 'no reconnect after a kick');
    await login(alice, 'alice', 'alice password');
    ok = true;
  } finally {
    await world.close(!ok);
  }
  t.diagnostic('done');
});
