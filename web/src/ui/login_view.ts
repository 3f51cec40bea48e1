// The first screen: log in or register, in one form. The password goes only into the
// passwordHash derivation (protocol/password_hash.ts) and is cleared from the field after.
import type { ChatClient } from '../protocol/client';
import { h } from './dom';
import { logo } from './logo';

export class LoginView {
  readonly element: HTMLElement;
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly remember: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly buttons: HTMLButtonElement[];

  constructor(private readonly client: ChatClient) {
    this.username = h('input', {
      id: 'login-username',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
    });
    this.password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    this.remember = h('input', { id: 'login-remember', type: 'checkbox', checked: true });
    this.error = h('p', { class: 'form-error', role: 'alert' });
    const login = h('button', { type: 'submit', class: 'primary' }, 'Log in');
    const register = h('button', { type: 'button', class: 'secondary', onclick: () => void this.submit('register') }, 'Register');
    this.buttons = [login, register];
    const form = h(
      'form',
      { class: 'login-form', novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void this.submit('login')) },
      h('label', { for: 'login-username' }, 'Username'),
      this.username,
      h('label', { for: 'login-password' }, 'Password'),
      this.password,
      h('label', { class: 'check' }, this.remember, ' Keep me logged in on this device'),
      this.error,
      h('div', { class: 'login-actions' }, login, register),
    );
    this.element = h(
      'main',
      { class: 'login-screen' },
      h(
        'div',
        { class: 'login-card' },
        h('div', { class: 'brand' }, logo(), h('h1', {}, 'chatnode')),
        h('p', { class: 'login-sub' }, `Chat on ${location.hostname}`),
        form,
        h('p', { class: 'login-hint' }, 'New here? Pick a username and a password, then press Register.'),
      ),
    );
    if (client.sessionMessage) this.error.textContent = client.sessionMessage;
  }

  focus(): void {
    this.username.focus();
  }

  private async submit(kind: 'login' | 'register'): Promise<void> {
    const name = this.username.value;
    const password = this.password.value;
    this.error.textContent = '';
    for (const b of this.buttons) b.disabled = true;
    this.element.classList.add('busy');
    const error =
      kind === 'login'
        ? await this.client.login(name, password, this.remember.checked)
        : await this.client.register(name, password, this.remember.checked);
    for (const b of this.buttons) b.disabled = false;
    this.element.classList.remove('busy');
    if (error) {
      this.error.textContent = error;
      (kind === 'login' && /password/i.test(error) ? this.password : this.username).focus();
      return;
    }
    this.password.value = '';
  }
}
