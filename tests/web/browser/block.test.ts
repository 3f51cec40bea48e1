// Blocking in a real browser against a real node: "Block" in a conversation ends the
// friendship on both sides and the blocked user's texts are refused; Settings lists the
// block and "Unblock" lifts it; "Block" on a friend request drops the request (the sender's
// "Sent requests" follows) and lists the sender in Settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World } from './harness';
import { item, list, message, open, send, twoFriends } from './ui';

test('block a friend, unblock in Settings, block a friend request', { timeout: 180000 }, async (t) => {
  const world = new World();
  let ok = false;
  try {
    const { alice, bob } = await twoFriends(world);
    await open(alice, 'bob@localhost');
    await open(bob, 'alice@localhost');
    await send(bob, 'Hello before');
    await message(alice, 'Hello before').waitFor();

    // Alice blocks Bob from their conversation.
    await alice.getByRole('button', { name: 'Block', exact: true }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Block', exact: true }).click();
    await item(alice, 'Friends', 'bob@localhost').waitFor({ state: 'detached' });
    await item(bob, 'Friends', 'alice@localhost').waitFor({ state: 'detached' });
    await alice.getByRole('main', { name: 'Conversation' }).getByText('Blocked', { exact: true }).waitFor();

    // Bob's next text is refused and never reaches Alice.
    await send(bob, 'Are you there?');
    await message(bob, 'Are you there?').getByText('You can only message friends.').waitFor();
    assert.equal(await message(alice, 'Are you there?').count(), 0);

    // Settings lists Bob; "Unblock" lifts the block.
    await alice.getByRole('button', { name: 'Settings' }).click();
    const blocked = item(alice, 'Blocked users', 'bob@localhost');
    await blocked.getByRole('button', { name: 'Unblock' }).click();
    await blocked.waitFor({ state: 'detached' });
    assert.equal(await list(alice, 'Blocked users').getByRole('listitem').count(), 0);

    // Unblocked, Bob can ask again; this time Alice blocks the request itself.
    await bob.getByLabel('Add friend').fill('alice');
    await bob.getByRole('button', { name: 'Send friend request' }).click();
    await item(bob, 'Sent requests', 'alice@localhost').waitFor();
    const request = item(alice, 'Friend requests', 'bob@localhost');
    await request.getByRole('button', { name: 'Block' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Block', exact: true }).click();
    await request.waitFor({ state: 'detached' });
    await item(bob, 'Sent requests', 'alice@localhost').waitFor({ state: 'detached' });
    await item(alice, 'Blocked users', 'bob@localhost').waitFor();

    // The block holds after a reload (the list comes from the node).
    await alice.reload();
    await alice.getByRole('button', { name: 'Settings' }).click();
    await item(alice, 'Blocked users', 'bob@localhost').waitFor();
    ok = true;
  } finally {
    await world.close(!ok);
  }
  t.diagnostic('done');
});
