// The account in Settings, in a real browser against a real node: change the password (the
// page stays logged in and a reload still resumes with its token; the old password is
// refused at the next login, the new one works; a wrong current password is said so), and
// delete the account behind a password prompt (back to the login form; the friend sees
// the friendship end).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World } from './harness';
import { item, login, twoFriends } from './ui';

test('change the password, then delete the account', { timeout: 180000 }, async (t) => {
  const world = new World();
  let ok = false;
  try {
    const { alice, bob } = await twoFriends(world);

    // A wrong current password changes nothing, and says so.
    await alice.getByRole('button', { name: 'Settings' }).click();
    const settings = alice.getByRole('main', { name: 'Settings' });
    await settings.getByLabel('Current password').fill('not my password');
    await settings.getByLabel('New password').fill('alice new password');
    await settings.getByRole('button', { name: 'Change password' }).click();
    await settings.getByText('Wrong current password').waitFor();

    await settings.getByLabel('Current password').fill('alice password');
    await settings.getByLabel('New password').fill('alice new password');
    await settings.getByRole('button', { name: 'Change password' }).click();
    await settings.getByText('Password changed').waitFor();
    assert.equal(await settings.getByLabel('Current password').inputValue(), '');

    // The page's token stays valid: a reload resumes without asking.
    await alice.reload();
    await alice.getByRole('button', { name: 'Log out' }).waitFor();
    const stored = await alice.evaluate(() => JSON.stringify(localStorage));
    assert.ok(!stored.includes('alice new password') && !stored.includes('alice password'));

    // After logging out, the old password is refused and the new one works.
    await alice.getByRole('button', { name: 'Log out' }).click();
    await alice.getByLabel('Username').fill('alice');
    await alice.getByLabel('Password').fill('alice password');
    await alice.getByRole('button', { name: 'Log in' }).click();
    await alice.getByText('Wrong username or password.').waitFor();
    await login(alice, 'alice', 'alice new password');
    await item(alice, 'Friends', 'bob@localhost').waitFor();

    // Bob deletes his account: a wrong password is refused in the dialog, the right one
    // ends everything; Alice's friend list follows.
    await bob.getByRole('button', { name: 'Settings' }).click();
    await bob.getByRole('button', { name: 'Delete account' }).click();
    const dialog = bob.getByRole('dialog');
    await dialog.getByLabel('Password', { exact: true }).fill('wrong');
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await dialog.getByText('Wrong password').waitFor();
    await dialog.getByLabel('Password', { exact: true }).fill('bob password');
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await bob.getByRole('button', { name: 'Log in' }).waitFor();
    await bob.getByText('Your account has been deleted.').waitFor();
    assert.equal(await bob.evaluate(() => localStorage.getItem('chatnode.session')), null);
    await item(alice, 'Friends', 'bob@localhost').waitFor({ state: 'detached' });

    // The account is gone: logging in as bob fails.
    await bob.getByLabel('Username').fill('bob');
    await bob.getByLabel('Password').fill('bob password');
    await bob.getByRole('button', { name: 'Log in' }).click();
    await bob.getByText('No such user on this server.').waitFor();
    ok = true;
  } finally {
    await world.close(!ok);
  }
  t.diagnostic('done');
});
