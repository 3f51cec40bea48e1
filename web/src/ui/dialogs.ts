// Modal dialogs (native <dialog>: focus trapping and Escape come with it): confirming a
// destructive action, making a group from friends, a group's members and actions, and
// deleting the account.
import type { ChatClient } from '../protocol/client';
import { avatar, h, syncList } from './dom';

function openDialog(dialog: HTMLDialogElement): void {
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmDialog(question: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const dialog = h('dialog', { class: 'dialog small', 'aria-label': confirmLabel });
    const form = h(
      'form',
      { method: 'dialog' },
      h('p', {}, question),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'submit', class: 'secondary', value: 'cancel' }, 'Cancel'),
        h('button', { type: 'submit', class: 'danger', value: 'ok', onclick: () => (answer = true) }, confirmLabel),
      ),
    );
    dialog.append(form);
    dialog.addEventListener('close', () => resolve(answer));
    openDialog(dialog);
  });
}

/** "New group": a name and one checkbox per friend; on success opens the new group. */
export function newGroupDialog(client: ChatClient, opened: (groupId: string) => void): void {
  const friends = [...client.model.friends.keys()].sort();
  const name = h('input', { id: 'group-name', required: true, maxlength: 100, autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const boxes = friends.map((f) => h('input', { type: 'checkbox', value: f, id: `pick-${f}` }));
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create group');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'new-group-title' });
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        create.disabled = true;
        const members = boxes.filter((b) => b.checked).map((b) => b.value);
        const result = await client.social.createGroup(name.value, members);
        create.disabled = false;
        if (result.error) {
          error.textContent = result.error;
          return;
        }
        dialog.close();
        if (result.groupId) opened(result.groupId);
      },
    },
    h('h2', { id: 'new-group-title' }, 'New group'),
    h('label', { for: 'group-name' }, 'Group name'),
    name,
    h(
      'fieldset',
      { class: 'pick-friends' },
      h('legend', {}, 'Invite friends'),
      friends.length
        ? h(
            'ul',
            { class: 'picker' },
            ...friends.map((f, i) => h('li', {}, h('label', { for: `pick-${f}` }, boxes[i]!, avatar(f, f), h('span', {}, f)))),
          )
        : h('p', { class: 'muted' }, 'Add friends first; you can still make a group for yourself.'),
    ),
    error,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      create,
    ),
  );
  dialog.append(form);
  openDialog(dialog);
  name.focus();
}

/** A group's members (leader marked) and what the person may do: leave; as leader, pass
 *  the lead or remove the group. Stays in step with the group list while open. */
export function groupInfoDialog(client: ChatClient, groupId: string): void {
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'group-info-title' });
  const title = h('h2', { id: 'group-info-title' });
  const members = h('ul', { class: 'member-list', 'aria-label': 'Members' });
  const invited = h('p', { class: 'muted' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const actions = h('div', { class: 'dialog-actions' });
  const run = async (action: Promise<string | null>, closeOnSuccess: boolean) => {
    const e = await action;
    error.textContent = e ?? '';
    if (!e && closeOnSuccess) dialog.close();
  };
  const render = () => {
    const g = client.model.groups.get(groupId);
    if (!g) {
      title.textContent = 'Group';
      syncList(members, []);
      invited.textContent = 'You are no longer a member of this group.';
      actions.replaceChildren(h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'));
      return;
    }
    const me = client.me();
    const leader = g.leader === me;
    title.textContent = g.name;
    syncList(
      members,
      g.members.map((m) => ({
        key: m,
        sig: `${m}|${g.leader}|${leader}`,
        render: () =>
          h(
            'li',
            { 'aria-label': m },
            avatar(m, m),
            h('span', { class: 'member-name' }, m === me ? `${m} (you)` : m),
            m === g.leader ? h('span', { class: 'badge' }, 'Leader') : null,
            leader && m !== me
              ? h('button', { type: 'button', class: 'link', onclick: () => void run(client.social.changeLeader(groupId, m), false) }, 'Make leader')
              : null,
          ),
      })),
    );
    invited.textContent = g.invited.length ? `Invited: ${g.invited.join(', ')}` : '';
    const buttons = [
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'),
      h(
        'button',
        {
          type: 'button',
          class: 'danger-outline',
          onclick: async () => {
            if (await confirmDialog(`Leave “${g.name}”?`, 'Leave group')) void run(client.social.leaveGroup(groupId), true);
          },
        },
        'Leave group',
      ),
      leader
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: async () => {
                if (await confirmDialog(`Remove “${g.name}” for everyone?`, 'Remove group')) void run(client.social.removeGroup(groupId), true);
              },
            },
            'Remove group',
          )
        : null,
    ];
    actions.replaceChildren(...buttons.filter((b): b is HTMLButtonElement => b !== null));
  };
  const unsubscribe = client.subscribe((topics) => {
    if (topics.has('groups')) render();
  });
  dialog.addEventListener('close', unsubscribe);
  dialog.append(title, members, invited, error, actions);
  render();
  openDialog(dialog);
}

/** "Delete account": asks for the password (ACCOUNT_DELETE_REQUEST checks it); on success
 *  the session ends and the page shows the login form with the reason. */
export function deleteAccountDialog(client: ChatClient): void {
  const password = h('input', { id: 'delete-password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const confirm = h('button', { type: 'submit', class: 'danger' }, 'Delete my account');
  const dialog = h('dialog', { class: 'dialog small', 'aria-labelledby': 'delete-title' });
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        confirm.disabled = true;
        error.textContent = '';
        const result = await client.deleteAccount(password.value);
        confirm.disabled = false;
        if (result) {
          error.textContent = result;
          password.focus();
          return;
        }
        dialog.close();
      },
    },
    h('h2', { id: 'delete-title' }, 'Delete your account?'),
    h('p', {}, `This deletes ${client.me()} and everything this server holds of it. Enter your password to confirm.`),
    h('label', { for: 'delete-password' }, 'Password'),
    password,
    error,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      confirm,
    ),
  );
  dialog.append(form);
  openDialog(dialog);
  password.focus();
}
