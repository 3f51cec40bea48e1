// The page: the login screen or the chat (sidebar + conversation or settings), the connection state
// ("Connecting…", "Online", "Reconnecting in N s"), notices, and the unread count in the
// tab title. On a narrow screen the sidebar and the conversation take turns.
import type { ChatClient } from '../protocol/client';
import type { Topic } from '../protocol/model';
import { ConversationView } from './conversation_view';
import { h } from './dom';
import { LoginView } from './login_view';
import { SettingsView } from './settings_view';
import { Sidebar } from './sidebar';

const NOTICE_MS = 6000;
/** Notices shown at once; an older one makes room for a new one. */
const MAX_TOASTS = 3;
const TITLE = 'chatnode';

export class App {
  private login: LoginView | null = null;
  private shell: HTMLElement | null = null;
  private sidebar: Sidebar | null = null;
  private conversation: ConversationView | null = null;
  private settings: SettingsView | null = null;
  private placeholder: HTMLElement | null = null;
  private readonly toasts: HTMLElement;
  private readonly shownNotices = new Set<number>();
  private countdown: number | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: ChatClient,
  ) {
    this.toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    client.subscribe((topics) => this.update(topics));
    document.addEventListener('visibilitychange', () => this.reportView());
    window.addEventListener('focus', () => this.reportView());
  }

  start(): void {
    this.client.resume();
    this.update(new Set<Topic>(['session']));
  }

  private update(topics: Set<Topic>): void {
    if (topics.has('session')) this.switchView();
    if (topics.has('notices')) this.renderNotices();
    if (!this.sidebar || !this.conversation) return;
    if (topics.has('connection') || topics.has('session')) this.renderConnection();
    if (topics.has('friends') || topics.has('groups') || topics.has('conversations') || topics.has('session')) {
      this.sidebar.render();
      this.renderTitle();
    }
    if (this.settings && (topics.has('blocks') || topics.has('session'))) this.settings.render();
    const key = this.conversation.current;
    if (key && (topics.has(`conv:${key}`) || topics.has('friends') || topics.has('groups') || topics.has('blocks'))) this.conversation.render();
  }

  private switchView(): void {
    const loggedOut = this.client.session === 'logged-out';
    if (loggedOut && !this.login) {
      this.shell?.remove();
      this.shell = this.sidebar = this.conversation = this.settings = null;
      this.login = new LoginView(this.client);
      this.root.replaceChildren(this.login.element, this.toasts);
      this.login.focus();
      document.title = TITLE;
    } else if (!loggedOut && !this.shell) {
      this.login = null;
      this.buildShell();
    }
  }

  private buildShell(): void {
    this.sidebar = new Sidebar(this.client, (key) => this.open(key), () => this.openSettings());
    this.conversation = new ConversationView(this.client, () => this.closeConversation());
    this.settings = new SettingsView(this.client, () => this.closeConversation());
    this.placeholder = h('div', { class: 'placeholder' }, h('p', {}, 'Pick a conversation, or add a friend to start one.'));
    this.conversation.element.hidden = true;
    this.settings.element.hidden = true;
    this.shell = h('div', { class: 'shell' }, this.sidebar.element,
      h('div', { class: 'main-pane' }, this.placeholder, this.conversation.element, this.settings.element));
    this.root.replaceChildren(this.shell, this.toasts);
    this.sidebar.render();
    this.renderConnection();
  }

  private open(key: string): void {
    if (!this.conversation || !this.shell || !this.sidebar) return;
    this.conversation.element.hidden = false;
    if (this.settings) this.settings.element.hidden = true;
    if (this.placeholder) this.placeholder.hidden = true;
    this.shell.classList.add('show-conversation');
    this.conversation.show(key);
    this.sidebar.setActive(key);
    this.reportView();
    this.conversation.focusComposer();
  }

  /** Settings take the conversation's place (and the whole screen on a phone). */
  private openSettings(): void {
    if (!this.settings || !this.conversation || !this.shell || !this.sidebar) return;
    this.conversation.element.hidden = true;
    if (this.placeholder) this.placeholder.hidden = true;
    this.settings.element.hidden = false;
    this.shell.classList.add('show-conversation');
    this.sidebar.setActive(null);
    this.settings.show();
    this.reportView();
    this.settings.focus();
  }

  private closeConversation(): void {
    this.shell?.classList.remove('show-conversation');
  }

  /** Tells the core which conversation is read right now (for read markers). */
  private reportView(): void {
    const narrowHidden = this.shell && !this.shell.classList.contains('show-conversation') && window.matchMedia('(max-width: 760px)').matches;
    const viewed = this.conversation && !this.conversation.element.hidden ? this.conversation.current : null;
    this.client.messaging.setView(viewed, document.visibilityState === 'visible' && !narrowHidden);
  }

  private renderConnection(): void {
    const el = this.sidebar?.connection;
    if (!el) return;
    const s = this.client.conn.state;
    if (this.countdown !== null) window.clearInterval(this.countdown);
    this.countdown = null;
    const loggedIn = this.client.session === 'logged-in' && s.phase === 'open';
    let text = 'Connecting…';
    let cls = 'connecting';
    if (loggedIn) {
      text = 'Online';
      cls = 'online';
    } else if (s.phase === 'open') {
      text = 'Logging in…';
    } else if (s.phase === 'waiting') {
      const seconds = () => Math.max(1, Math.ceil((s.retryAt - Date.now()) / 1000));
      cls = 'waiting';
      const label = h('span', {}, `Reconnecting in ${seconds()} s`);
      const retry = h('button', { type: 'button', class: 'link', onclick: () => this.client.conn.retryNow() }, 'Retry now');
      el.className = `connection ${cls}`;
      el.replaceChildren(h('span', { class: 'dot' }), label, this.client.connectionNote ? h('span', { class: 'note' }, this.client.connectionNote) : '', retry);
      this.countdown = window.setInterval(() => (label.textContent = `Reconnecting in ${seconds()} s`), 1000);
      return;
    } else if (s.phase === 'stopped' || s.phase === 'idle') {
      text = 'Offline';
      cls = 'waiting';
    }
    el.className = `connection ${cls}`;
    el.replaceChildren(h('span', { class: 'dot' }), h('span', {}, text));
  }

  private renderNotices(): void {
    for (const n of this.client.model.notices) {
      if (this.shownNotices.has(n.id)) continue;
      this.shownNotices.add(n.id);
      const close = () => {
        toast.remove();
        this.client.model.dismissNotice(n.id);
      };
      const toast = h('div', { class: `toast ${n.kind}` }, h('span', {}, n.text), h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: close }, '×'));
      this.toasts.append(toast);
      while (this.toasts.children.length > MAX_TOASTS) this.toasts.firstElementChild?.remove();
      window.setTimeout(close, NOTICE_MS);
    }
  }

  private renderTitle(): void {
    let unread = 0;
    for (const c of this.client.model.conversations.values()) unread += c.unread;
    document.title = unread ? `(${unread}) ${TITLE}` : TITLE;
  }
}
