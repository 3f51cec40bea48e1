// A group of three on one node: created from friends, invitations joined, messages to all,
// the members list, a leader change, someone leaving, and the group removed.
import { test } from 'node:test';
import { World } from './harness';
import { befriend, item, message, messages, open, register, send } from './ui';

test('a group of three: create, join, talk, change leader, leave, remove', { timeout: 180000 }, async () => {
  const world = new World();
  let ok = false;
  try {
    const node = await world.node('localhost');
    const [alice, bob, carol] = [await world.page(node), await world.page(node), await world.page(node)];
    await register(alice, 'alice', 'alice password');
    await register(bob, 'bob', 'bob password');
    await register(carol, 'carol', 'carol password');
    await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
    await befriend(alice, carol, 'alice@localhost', 'carol@localhost');

    await alice.getByRole('button', { name: 'New group' }).click();
    const form = alice.getByRole('dialog');
    await form.getByLabel('Group name').fill('Weekend trip');
    await form.getByLabel('bob@localhost').check();
    await form.getByLabel('carol@localhost').check();
    await form.getByRole('button', { name: 'Create group' }).click();
    await item(alice, 'Conversations', 'Weekend trip').waitFor();

    for (const [page, who] of [[bob, 'bob@localhost'], [carol, 'carol@localhost']] as const) {
      await item(page, 'Group invitations', 'Weekend trip').getByRole('button', { name: 'Join' }).click();
      await item(page, 'Conversations', 'Weekend trip').waitFor();
      await open(alice, 'Weekend trip', 'Conversations');
      await messages(alice).getByText(`${who} joined.`).waitFor();
    }

    await send(alice, 'Who is in for Saturday?');
    for (const page of [bob, carol]) {
      await open(page, 'Weekend trip', 'Conversations');
      await message(page, 'Who is in for Saturday?').getByText('alice@localhost').waitFor();
    }
    await send(carol, 'Me!');
    await message(alice, 'Me!').waitFor();
    await message(bob, 'Me!').waitFor();

    // Members, leader first; Alice hands the lead to Bob.
    await alice.getByRole('button', { name: 'Members' }).click();
    const members = alice.getByRole('dialog').getByRole('list', { name: 'Members' });
    for (const m of ['alice@localhost', 'bob@localhost', 'carol@localhost']) await members.getByRole('listitem', { name: m }).waitFor();
    await members.getByRole('listitem', { name: 'bob@localhost' }).getByRole('button', { name: 'Make leader' }).click();
    await members.getByRole('listitem', { name: 'bob@localhost' }).getByText('Leader').waitFor();
    await alice.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await messages(carol).getByText('bob@localhost is now the leader.').waitFor();
    await carol.getByText('led by bob@localhost').waitFor();

    // Carol leaves; the others are told.
    await carol.getByRole('button', { name: 'Members' }).click();
    await carol.getByRole('dialog').getByRole('button', { name: 'Leave group' }).click();
    await carol.getByRole('dialog', { name: 'Leave group' }).getByRole('button', { name: 'Leave group' }).click();
    await messages(bob).getByText('carol@localhost left the group.').waitFor();
    await alice.getByText('2 members · led by bob@localhost').waitFor();

    // Bob, the leader now, removes the group: Alice can no longer write in it.
    await bob.getByRole('button', { name: 'Members' }).click();
    await bob.getByRole('dialog').getByRole('button', { name: 'Remove group' }).click();
    await bob.getByRole('dialog', { name: 'Remove group' }).getByRole('button', { name: 'Remove group' }).click();
    await messages(alice).getByText('bob@localhost removed the group.').waitFor();
    await alice.getByLabel('Message', { exact: true }).waitFor({ state: 'hidden' });
    ok = true;
  } finally {
    await world.close(!ok);
  }
});
