// The left column: who you are (status, settings, log out), the connection state, requests and
// invitations waiting for an answer, the conversations, and the friends with presence.
import type { ChatClient } from '../protocol/client';
import { isGroupId } from '../protocol/ids';
import type { Conversation } from '../protocol/model';
import type { Status } from '../protocol/types';
import { avatar, h, icon, syncList } from './dom';
import { confirmDialog, newGroupDialog } from './dialogs';
import { STATUS_LABELS, formatWhen } from './format';
import { logo } from './logo';

const PLUS = 'M12 5v14M5 12h14';
/** How long "Friend request sent to …" stays under the field. */
const NOTE_MS = 5000;
const GEAR =
  'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 1 1-4 0v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06a1.65 1.65 0 0 0 .33-1.82 1.65 1.65 0 0 0-1.51-1H3a2 2 0 1 1 0-4h.09A1.65 1.65 0 0 0 4.6 9a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06a1.65 1.65 0 0 0 1.82.33H9a1.65 1.65 0 0 0 1-1.51V3a2 2 0 1 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 1 1 2.83 2.83l-.06.06a1.65 1.65 0 0 0-.33 1.82V9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 1 1 0 4h-.09a1.65 1.65 0 0 0-1.51 1z';
const LOGOUT = 'M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H3';

export class Sidebar {
  readonly element: HTMLElement;
  readonly connection: HTMLElement;
  private readonly meName: HTMLElement;
  private readonly meAvatar: HTMLElement;
  private readonly status: HTMLSelectElement;
  private readonly statusDot: HTMLElement;
  private noteTimer: number | null = null;
  private readonly requests: HTMLElement;
  private readonly incoming: HTMLUListElement;
  private readonly invitations: HTMLUListElement;
  private readonly outgoing: HTMLUListElement;
  private readonly chats: HTMLUListElement;
  private readonly chatsEmpty: HTMLElement;
  private readonly friends: HTMLUListElement;
  private readonly friendsEmpty: HTMLElement;
  private readonly addFriend: HTMLInputElement;
  private readonly addFriendMessage: HTMLElement;
  private active: string | null = null;

  constructor(
    private readonly client: ChatClient,
    private readonly open: (key: string) => void,
    openSettings: () => void,
  ) {
    this.meName = h('span', { class: 'me-name' });
    this.meAvatar = h('span', { class: 'me-avatar' });
    this.status = h(
      'select',
      { 'aria-label': 'Status', class: 'status-select', onchange: () => this.setStatus() },
      ...(['online', 'away', 'busy', 'offline'] as Status[]).map((s) => h('option', { value: s }, s === 'offline' ? 'Appear offline' : STATUS_LABELS[s]!)),
    );
    this.statusDot = h('span', { class: 'presence online' });
    this.connection = h('div', { class: 'connection', role: 'status' });
    this.incoming = h('ul', { class: 'rows', 'aria-label': 'Friend requests' });
    this.invitations = h('ul', { class: 'rows', 'aria-label': 'Group invitations' });
    this.outgoing = h('ul', { class: 'rows', 'aria-label': 'Sent requests' });
    this.requests = h('section', { class: 'side-section requests', 'aria-labelledby': 'requests-title' },
      h('h2', { id: 'requests-title' }, 'Waiting for you'), this.incoming, this.invitations, this.outgoing);
    this.chats = h('ul', { class: 'rows conversations', 'aria-label': 'Conversations' });
    this.chatsEmpty = h('p', { class: 'empty' }, 'No conversations yet. Pick a friend below, or start a group.');
    this.friends = h('ul', { class: 'rows friends', 'aria-label': 'Friends' });
    this.friendsEmpty = h('p', { class: 'empty' }, 'Add a friend by their username (bob, or bob@other.server).');
    this.addFriend = h('input', { 'aria-label': 'Add friend', placeholder: 'Add friend: name or name@server', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
    this.addFriendMessage = h('p', { class: 'form-note', role: 'status' });
    const addForm = h('form', { class: 'add-friend', onsubmit: (e: Event) => (e.preventDefault(), void this.sendFriendRequest()) },
      this.addFriend, h('button', { type: 'submit', class: 'icon-button primary', 'aria-label': 'Send friend request', title: 'Send friend request' }, icon(PLUS)));
    this.element = h(
      'aside',
      { class: 'sidebar', 'aria-label': 'Chats and friends' },
      h('header', { class: 'me-bar' },
        h('div', { class: 'brand small' }, logo(), h('span', {}, 'chatnode')),
        h('div', { class: 'me' }, this.meAvatar, h('div', { class: 'me-text' }, this.meName, h('span', { class: 'status-line' }, this.statusDot, this.status))),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Settings', title: 'Settings', onclick: openSettings }, icon(GEAR)),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Log out', title: 'Log out', onclick: () => client.logout() }, icon(LOGOUT))),
      this.connection,
      h('div', { class: 'side-scroll' },
        this.requests,
        h('section', { class: 'side-section', 'aria-labelledby': 'chats-title' },
          h('div', { class: 'section-head' }, h('h2', { id: 'chats-title' }, 'Chats'),
            h('button', { type: 'button', class: 'small-button', onclick: () => newGroupDialog(client, open) }, icon(PLUS), 'New group')),
          this.chats, this.chatsEmpty),
        h('section', { class: 'side-section', 'aria-labelledby': 'friends-title' },
          h('div', { class: 'section-head' }, h('h2', { id: 'friends-title' }, 'Friends')),
          addForm, this.addFriendMessage, this.friends, this.friendsEmpty)),
    );
  }

  setActive(key: string | null): void {
    this.active = key;
    this.renderChats();
    this.renderFriends();
  }

  render(): void {
    const m = this.client.model;
    this.meName.textContent = m.me;
    this.meAvatar.replaceChildren(avatar(m.me, m.me));
    this.status.value = m.myStatus;
    this.statusDot.className = `presence ${m.myStatus}`;
    this.renderRequests();
    this.renderChats();
    this.renderFriends();
  }

  private renderRequests(): void {
    const m = this.client.model;
    syncList(this.incoming, [...m.incoming].sort().map((user) => ({
      key: user,
      sig: user,
      render: () => h('li', { class: 'row request', 'aria-label': user },
        avatar(user, user),
        h('div', { class: 'row-text' }, h('span', { class: 'row-title' }, user), h('span', { class: 'row-sub' }, 'wants to be your friend')),
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small-button primary', onclick: () => this.answer(user, true) }, 'Accept'),
          h('button', { type: 'button', class: 'small-button', onclick: () => this.answer(user, false) }, 'Reject'),
          h('button', { type: 'button', class: 'small-button danger-text', onclick: () => void this.block(user) }, 'Block'))),
    })));
    syncList(this.invitations, [...m.invitations.values()].map((inv) => ({
      key: inv.groupId,
      sig: `${inv.name}|${inv.inviter}`,
      render: () => h('li', { class: 'row request', 'aria-label': inv.name },
        avatar(inv.groupId, inv.name, 'group'),
        h('div', { class: 'row-text' }, h('span', { class: 'row-title' }, inv.name), h('span', { class: 'row-sub' }, `group invitation from ${inv.inviter}`)),
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small-button primary', onclick: () => this.invitation(inv.groupId, true) }, 'Join'),
          h('button', { type: 'button', class: 'small-button', onclick: () => this.invitation(inv.groupId, false) }, 'Decline'))),
    })));
    syncList(this.outgoing, [...m.outgoing].sort().map((user) => ({
      key: user,
      sig: user,
      render: () => h('li', { class: 'row request muted-row', 'aria-label': user },
        avatar(user, user),
        h('div', { class: 'row-text' }, h('span', { class: 'row-title' }, user), h('span', { class: 'row-sub' }, 'friend request sent, waiting for an answer'))),
    })));
    this.requests.hidden = m.incoming.size + m.invitations.size + m.outgoing.size === 0;
  }

  private renderChats(): void {
    const convs = this.client.model.sortedConversations();
    syncList(this.chats, convs.map((c) => this.chatRow(c)));
    this.chatsEmpty.hidden = convs.length > 0;
  }

  private chatRow(c: Conversation) {
    const last = [...c.items].reverse().find((i) => !i.notice) ?? c.items[c.items.length - 1];
    const preview = last ? (last.media ? `${last.media.type.startsWith('image/') ? 'Photo' : 'File'}: ${last.media.name}` : last.content) : c.kind === 'group' ? 'New group' : '';
    const who = last && c.kind === 'group' && !last.notice ? (last.outgoing ? 'You: ' : `${last.sender.split('@')[0]}: `) : last?.outgoing ? 'You: ' : '';
    const status = c.kind === 'direct' ? this.client.model.friends.get(c.key) : undefined;
    const when = formatWhen(c.lastActivity);
    const active = c.key === this.active;
    return {
      key: c.key,
      sig: [c.title, preview, who, c.unread, status, when, active, c.closed].join('|'),
      render: () => h('li', { class: `row chat${active ? ' active' : ''}${c.unread ? ' unread' : ''}`, 'aria-label': c.title },
        h('button', { type: 'button', class: 'row-button', 'aria-current': active ? 'true' : null, onclick: () => this.open(c.key) },
          h('span', { class: 'avatar-wrap' }, avatar(c.key, c.title, c.kind === 'group' ? 'group' : ''), status ? h('span', { class: `presence ${status}` }) : null),
          h('span', { class: 'row-text' },
            h('span', { class: 'row-title' }, c.title, c.closed ? h('span', { class: 'muted' }, ' (left)') : null),
            h('span', { class: 'row-sub' }, who + preview)),
          h('span', { class: 'row-meta' },
            h('span', { class: 'row-time' }, when),
            c.unread ? h('span', { class: 'unread-badge' }, String(c.unread), h('span', { class: 'sr-only' }, ' unread')) : null))),
    };
  }

  private renderFriends(): void {
    const friends = [...this.client.model.friends.entries()].sort(([a], [b]) => a.localeCompare(b));
    syncList(this.friends, friends.map(([user, status]) => {
      const active = user === this.active;
      return {
        key: user,
        sig: `${status}|${active}`,
        render: () => h('li', { class: `row friend${active ? ' active' : ''}`, 'aria-label': user },
          h('button', { type: 'button', class: 'row-button', onclick: () => this.open(user) },
            h('span', { class: 'avatar-wrap' }, avatar(user, user), h('span', { class: `presence ${status}` })),
            h('span', { class: 'row-text' }, h('span', { class: 'row-title' }, user), h('span', { class: `row-sub status-text ${status}` }, STATUS_LABELS[status] ?? status)))),
      };
    }));
    this.friendsEmpty.hidden = friends.length > 0;
  }

  private setStatus(): void {
    const error = this.client.setStatus(this.status.value as Status);
    if (error) this.client.notice(error, 'error');
  }

  private async sendFriendRequest(): Promise<void> {
    const who = this.addFriend.value.trim();
    if (isGroupId(who)) return;
    this.addFriendMessage.classList.remove('error');
    this.addFriendMessage.textContent = 'Sending…';
    const error = await this.client.social.sendFriendRequest(who);
    if (error) {
      this.addFriendMessage.textContent = error;
      this.addFriendMessage.classList.add('error');
      return;
    }
    this.addFriendMessage.textContent = `Friend request sent to ${who.toLowerCase()}.`;
    this.addFriend.value = '';
    if (this.noteTimer !== null) window.clearTimeout(this.noteTimer);
    this.noteTimer = window.setTimeout(() => (this.addFriendMessage.textContent = ''), NOTE_MS);
  }

  private answer(user: string, accept: boolean): void {
    const error = this.client.social.answerFriendRequest(user, accept);
    if (error) this.client.notice(error, 'error');
  }

  private async block(user: string): Promise<void> {
    if (!(await confirmDialog(`Block ${user}? Their request is dropped and they cannot reach you until you unblock them in Settings.`, 'Block'))) return;
    const error = await this.client.social.block(user);
    if (error) this.client.notice(error, 'error');
  }

  private invitation(groupId: string, join: boolean): void {
    const error = this.client.social.answerInvitation(groupId, join);
    if (error) this.client.notice(error, 'error');
  }
}
