// Two people on one node, in two browser profiles: register, befriend (request, Accept),
// see each other's presence live, chat both ways with the sent state, local times and the
// unread count, set a status, find the offline inbox at the next login, and end the
// friendship.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World } from './harness';
import { befriend, connectionIs, item, login, message, messages, open, register, send, sent } from './ui';

test('two users befriend, see presence, chat both ways, and part', { timeout: 180000 }, async (t) => {
  const world = new World();
  let ok = false;
  try {
    const node = await world.node('localhost');
    const alice = await world.page(node);
    const bob = await world.page(node, undefined, { timezoneId: 'Asia/Kathmandu', locale: 'en-GB' }); // UTC+5:45
    await register(alice, 'alice', 'alice password');
    await register(bob, 'bob', 'bob password');
    await connectionIs(alice, 'Online');

    await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
    await item(alice, 'Friends', 'bob@localhost').getByText('Online').waitFor();

    await open(alice, 'bob@localhost');
    await send(alice, 'Hello Bob');
    await sent(alice, 'Hello Bob');

    // Bob has not opened the conversation: it is listed with one unread message.
    const row = item(bob, 'Conversations', 'alice@localhost');
    await row.getByText('1 unread').waitFor();
    await open(bob, 'alice@localhost', 'Conversations');
    await message(bob, 'Hello Bob').waitFor();
    await row.getByText('1 unread').waitFor({ state: 'detached' });

    // Local time on every message, from the node's timestamp.
    const time = message(bob, 'Hello Bob').locator('time');
    const iso = await time.getAttribute('datetime');
    assert.ok(iso && Math.abs(Date.parse(iso) - Date.now()) < 120000, `timestamp ${iso}`);
    const shown = await time.textContent();
    const local = await bob.evaluate((d) => {
      const t = new Date(d);
      return [t.getHours(), t.getMinutes()];
    }, iso!);
    const utc = new Date(iso!);
    assert.notEqual(local[1], utc.getUTCMinutes(), 'the page is in another time zone than UTC');
    assert.match(shown!, new RegExp(`^0?${local[0]}:${String(local[1]).padStart(2, '0')}$`), 'local time, 24-hour (en-GB)');

    await send(bob, 'Hi Alice, how are you?');
    await sent(bob, 'Hi Alice, how are you?');
    await message(alice, 'Hi Alice, how are you?').waitFor();
    await send(alice, 'Great, thanks!');
    await message(bob, 'Great, thanks!').waitFor();
    assert.deepEqual(
      (await messages(alice).locator('p.text').allTextContents()),
      ['Hello Bob', 'Hi Alice, how are you?', 'Great, thanks!'],
    );

    // Presence is live: Bob sets "Away", Alice sees it.
    await bob.getByLabel('Status').selectOption('away');
    await item(alice, 'Friends', 'bob@localhost').getByText('Away').waitFor();
    await bob.getByLabel('Status').selectOption('online');
    await item(alice, 'Friends', 'bob@localhost').getByText('Online').waitFor();

    // Bob logs out; what Alice writes meanwhile waits in his inbox and is there, unread,
    // when he logs in again (with his password: logging out revoked his token).
    await bob.getByRole('button', { name: 'Log out' }).click();
    await item(alice, 'Friends', 'bob@localhost').getByText('Offline').waitFor();
    await send(alice, 'Call me when you are back');
    await sent(alice, 'Call me when you are back');
    await login(bob, 'bob', 'bob password');
    await item(bob, 'Conversations', 'alice@localhost').getByText('1 unread').waitFor();
    await item(bob, 'Conversations', 'alice@localhost').getByText('Call me when you are back').waitFor();
    await item(alice, 'Friends', 'bob@localhost').getByText('Online').waitFor();

    // Alice ends the friendship; Bob's list follows.
    await alice.getByRole('button', { name: 'Remove friend' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Remove friend' }).click();
    await item(alice, 'Friends', 'bob@localhost').waitFor({ state: 'detached' });
    await item(bob, 'Friends', 'alice@localhost').waitFor({ state: 'detached' });
    ok = true;
  } finally {
    await world.close(!ok);
  }
  t.diagnostic('done');
});
