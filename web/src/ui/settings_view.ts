// The account screen ("Settings", in the place of a conversation): change the password,
// the users you block with "Unblock", and deleting the account behind a password prompt.
// Plain forms, one task each (STYLE.md: Snikket's account portal).
import type { ChatClient } from '../protocol/client';
import { deleteAccountDialog } from './dialogs';
import { avatar, h, icon, syncList } from './dom';

const BACK = 'M15 18l-6-6 6-6';

export class SettingsView {
  readonly element: HTMLElement;
  private readonly who: HTMLElement;
  private readonly current: HTMLInputElement;
  private readonly next: HTMLInputElement;
  private readonly change: HTMLButtonElement;
  private readonly passwordResult: HTMLElement;
  private readonly blocked: HTMLUListElement;
  private readonly blockedEmpty: HTMLElement;
  private readonly blockedError: HTMLElement;

  constructor(
    private readonly client: ChatClient,
    back: () => void,
  ) {
    this.who = h('p', { class: 'conv-sub' });
    this.current = h('input', { id: 'settings-current', type: 'password', autocomplete: 'current-password', required: true });
    this.next = h('input', { id: 'settings-new', type: 'password', autocomplete: 'new-password', required: true });
    this.change = h('button', { type: 'submit', class: 'primary' }, 'Change password');
    this.passwordResult = h('p', { class: 'form-note', role: 'status' });
    this.blocked = h('ul', { class: 'rows blocked-list', 'aria-label': 'Blocked users' });
    this.blockedEmpty = h('p', { class: 'empty' }, 'You block nobody. "Block" in a conversation or on a friend request stops a user from reaching you.');
    this.blockedError = h('p', { class: 'form-error', role: 'alert' });
    const passwordForm = h(
      'form',
      { class: 'settings-form', novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void this.changePassword()) },
      h('label', { for: 'settings-current' }, 'Current password'),
      this.current,
      h('label', { for: 'settings-new' }, 'New password'),
      this.next,
      h('div', { class: 'settings-actions' }, this.change),
      this.passwordResult,
    );
    this.element = h(
      'main',
      { class: 'settings', 'aria-label': 'Settings' },
      h(
        'header',
        { class: 'conv-head' },
        h('button', { type: 'button', class: 'icon-button back', 'aria-label': 'Back to chats', onclick: back }, icon(BACK)),
        h('div', { class: 'conv-head-text' }, h('h2', { class: 'conv-title' }, 'Settings'), this.who),
      ),
      h(
        'div',
        { class: 'settings-scroll' },
        h('section', { class: 'settings-card', 'aria-labelledby': 'settings-password-title' },
          h('h3', { id: 'settings-password-title' }, 'Change password'),
          h('p', { class: 'muted' }, 'You stay logged in here; your other devices must log in with the new password.'),
          passwordForm),
        h('section', { class: 'settings-card', 'aria-labelledby': 'settings-blocked-title' },
          h('h3', { id: 'settings-blocked-title' }, 'Blocked users'),
          h('p', { class: 'muted' }, 'They cannot message you or send you friend requests, and are not told that you blocked them.'),
          this.blocked, this.blockedEmpty, this.blockedError),
        h('section', { class: 'settings-card danger-zone', 'aria-labelledby': 'settings-delete-title' },
          h('h3', { id: 'settings-delete-title' }, 'Delete account'),
          h('p', { class: 'muted' }, 'Deletes your account, friendships, groups you are in and your history on this server. Your friends see you removed. This cannot be undone.'),
          h('div', { class: 'settings-actions' },
            h('button', { type: 'button', class: 'danger-outline', onclick: () => deleteAccountDialog(this.client) }, 'Delete account'))),
      ),
    );
  }

  /** Shown afresh: empty fields, and the block list as the node holds it. */
  show(): void {
    this.current.value = '';
    this.next.value = '';
    this.setResult('', false);
    this.blockedError.textContent = '';
    this.render();
    void this.client.social.loadBlocks().then((error) => (this.blockedError.textContent = error ?? ''));
  }

  render(): void {
    this.who.textContent = this.client.me();
    const users = [...this.client.model.blocked].sort();
    syncList(this.blocked, users.map((user) => ({
      key: user,
      sig: user,
      render: () => h('li', { class: 'row blocked', 'aria-label': user },
        avatar(user, user),
        h('span', { class: 'row-text' }, h('span', { class: 'row-title' }, user)),
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small-button', onclick: () => void this.unblock(user) }, 'Unblock'))),
    })));
    this.blockedEmpty.hidden = users.length > 0;
  }

  focus(): void {
    this.current.focus();
  }

  private async changePassword(): Promise<void> {
    this.change.disabled = true;
    this.setResult('Changing…', false);
    const error = await this.client.changePassword(this.current.value, this.next.value);
    this.change.disabled = false;
    if (error) {
      this.setResult(error, true);
      this.current.focus();
      return;
    }
    this.current.value = '';
    this.next.value = '';
    this.setResult('Password changed. Use the new password from now on.', false);
  }

  private async unblock(user: string): Promise<void> {
    const error = await this.client.social.unblock(user);
    this.blockedError.textContent = error ?? '';
  }

  private setResult(text: string, error: boolean): void {
    this.passwordResult.textContent = text;
    this.passwordResult.classList.toggle('error', error);
    this.passwordResult.classList.toggle('success', !error && text !== '' && text !== 'Changing…');
  }
}
