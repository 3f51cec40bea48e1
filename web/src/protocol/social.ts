// Friends, presence, groups and blocks (docs/protocol.md §7, §8, §10, §11, §15): the lists at login,
// the events that change them, and the person's actions. After any event the lists are
// asked for again, so the page always ends up showing what the node holds.
import { describeCode } from './codes';
import type { ActionResult, ClientContext } from './context';
import { NOT_CONNECTED } from './context';
import { RequestError } from './connection';
import { isGroupId, normalizeUserInput } from './ids';
import { upsertItem } from './model';
import {
  fields,
  isStatus,
  type Envelope,
  type FriendEntry,
  type GroupEntry,
  type InvitationEntry,
  type Status,
} from './types';

/** Remote friend requests wait for the other node's verdict (docs/protocol.md §7). */
const FRIEND_REQUEST_TIMEOUT_MS = 60000;
const REJECTED = 3004;
const INVITE_DECLINED = 5001;
/** USER_UNBLOCK_ACK: the user was not blocked (any more); for the page that is success. */
const NOT_BLOCKED = 11002;

export class Social {
  private refreshFriendsQueued = false;
  private refreshGroupsQueued = false;
  private nextNotice = 1;

  constructor(private readonly ctx: ClientContext) {}

  // ---- lists ----

  async loadFriends(): Promise<void> {
    const reply = await this.ctx.conn.request('FRIEND_LIST_REQUEST', { username: this.ctx.me() });
    const p = fields(reply);
    if (reply.type !== 'FRIEND_LIST_RESPONSE' || p.code() !== 0) return;
    const m = this.ctx.model;
    if (p.str('username')) m.me = p.str('username');
    m.friends.clear();
    for (const f of p.arr('friends') as FriendEntry[]) {
      if (f && typeof f.user === 'string') m.friends.set(f.user, isStatus(f.status) ? f.status : 'offline');
    }
    m.incoming = new Set(p.strings('incoming'));
    m.outgoing = new Set(p.strings('outgoing'));
    this.ctx.touch('friends', 'conversations');
  }

  async loadGroups(): Promise<void> {
    const reply = await this.ctx.conn.request('GROUP_LIST_REQUEST', { username: this.ctx.me() });
    const p = fields(reply);
    if (reply.type !== 'GROUP_LIST_RESPONSE' || p.code() !== 0) return;
    const m = this.ctx.model;
    m.groups.clear();
    for (const g of p.arr('groups') as GroupEntry[]) {
      if (!g || typeof g.groupId !== 'string') continue;
      m.groups.set(g.groupId, g);
      const conv = m.conversation(g.groupId, 'group', g.name);
      conv.closed = false;
    }
    for (const conv of m.conversations.values()) {
      if (conv.kind === 'group' && !m.groups.has(conv.key)) conv.closed = true;
    }
    m.invitations.clear();
    for (const i of p.arr('invitations') as InvitationEntry[]) {
      if (i && typeof i.groupId === 'string') m.invitations.set(i.groupId, i);
    }
    this.ctx.touch('groups', 'conversations');
  }

  /** Asks for a list again once the current burst of events is handled. */
  private refresh(what: 'friends' | 'groups'): void {
    if (!this.ctx.conn.isOpen) return;
    const swallow = (e: unknown) => {
      if (!(e instanceof RequestError)) throw e;
    };
    if (what === 'friends' && !this.refreshFriendsQueued) {
      this.refreshFriendsQueued = true;
      queueMicrotask(() => {
        this.refreshFriendsQueued = false;
        this.loadFriends().catch(swallow);
      });
    }
    if (what === 'groups' && !this.refreshGroupsQueued) {
      this.refreshGroupsQueued = true;
      queueMicrotask(() => {
        this.refreshGroupsQueued = false;
        this.loadGroups().catch(swallow);
      });
    }
  }

  // ---- events from the node ----

  /** True when `env` was a friends/presence/groups event. */
  handle(env: Envelope): boolean {
    const p = fields(env);
    const m = this.ctx.model;
    switch (env.type) {
      case 'FRIEND_REQUEST':
        m.incoming.add(p.str('sender'));
        this.ctx.notice(`${p.str('sender')} wants to be your friend.`);
        break;
      case 'FRIEND_REQUEST_RESPONSE': {
        const them = p.str('receiver');
        m.outgoing.delete(them);
        if (p.code() === 0) {
          if (!m.friends.has(them)) m.friends.set(them, 'offline');
          this.ctx.notice(`${them} accepted your friend request.`);
        } else if (p.code() === REJECTED) {
          this.ctx.notice(`${them} declined your friend request.`);
        }
        this.refresh('friends');
        break;
      }
      case 'FRIEND_REQUEST_ACK': // a verdict that came after its request's wait (remote node)
        if (p.code() === 0) m.outgoing.add(p.str('receiver'));
        else this.ctx.notice(`Friend request to ${p.str('receiver')}: ${describeCode(p.code())}`, 'error');
        this.refresh('friends');
        break;
      case 'FRIEND_REMOVE': {
        const them = p.str('sender');
        m.friends.delete(them);
        m.incoming.delete(them);
        m.outgoing.delete(them);
        this.refresh('friends');
        break;
      }
      case 'USER_STATUS_UPDATE':
      case 'USER_LOGOUT': {
        const who = p.str('username');
        const status: Status = env.type === 'USER_LOGOUT' ? 'offline' : isStatus(p.str('status')) ? (p.str('status') as Status) : 'offline';
        if (who === this.ctx.me()) break;
        if (m.friends.has(who)) m.friends.set(who, status);
        break;
      }
      default:
        return this.handleGroupEvent(env);
    }
    this.ctx.touch('friends', 'conversations');
    return true;
  }

  private handleGroupEvent(env: Envelope): boolean {
    const p = fields(env);
    const m = this.ctx.model;
    const groupId = p.str('groupId');
    const name = p.str('group') || m.groups.get(groupId)?.name || groupId;
    switch (env.type) {
      case 'GROUP_INVITE':
        m.invitations.set(groupId, { groupId, name, inviter: p.str('sender') });
        this.ctx.notice(`${p.str('sender')} invited you to the group “${name}”.`);
        break;
      case 'GROUP_INVITE_RESPONSE':
        this.groupNotice(groupId, name, `${p.str('receiver')} ${p.code() === INVITE_DECLINED ? 'declined the invitation' : 'joined'}.`);
        break;
      case 'GROUP_LEAVE':
        this.groupNotice(groupId, name, `${p.str('sender')} left the group.`);
        break;
      case 'GROUP_REMOVE': {
        m.groups.delete(groupId);
        m.invitations.delete(groupId);
        const conv = m.conversations.get(groupId);
        if (conv) conv.closed = true;
        this.groupNotice(groupId, name, `${p.str('sender')} removed the group.`);
        break;
      }
      case 'GROUP_LEADER_CHANGE':
        this.groupNotice(groupId, name, `${p.str('newLeader')} is now the leader.`);
        break;
      default:
        return false;
    }
    this.refresh('groups');
    this.ctx.touch('groups', 'conversations');
    return true;
  }

  private groupNotice(groupId: string, name: string, text: string): void {
    const conv = this.ctx.model.conversation(groupId, 'group', name);
    upsertItem(conv, {
      key: `n${this.nextNotice++}`,
      sender: '',
      content: text,
      timestamp: Math.floor(Date.now() / 1000),
      outgoing: false,
      notice: true,
    });
    this.ctx.touch(`conv:${groupId}`);
  }

  // ---- the person's actions ----

  async sendFriendRequest(input: string): ActionResult {
    const receiver = normalizeUserInput(input);
    if (!receiver) return 'Enter a user name, like bob or bob@example.org.';
    if (isGroupId(receiver)) return 'That is a group, not a user.';
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('FRIEND_REQUEST', { sender: this.ctx.me(), receiver }, FRIEND_REQUEST_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof RequestError && e.reason === 'timeout') return null; // the verdict arrives later
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    if (reply.type === 'FRIEND_REQUEST_ACK' && p.code() === 0) {
      this.ctx.model.outgoing.add(p.str('receiver') || receiver);
      this.ctx.touch('friends');
      this.refresh('friends');
      return null;
    }
    return describeCode(p.code(), p.str('message'));
  }

  answerFriendRequest(user: string, accept: boolean): string | null {
    const ok = this.ctx.sendWatched(
      'FRIEND_REQUEST_RESPONSE',
      { sender: user, receiver: this.ctx.me(), code: accept ? 0 : REJECTED },
      (message) => {
        this.ctx.notice(message, 'error');
        this.refresh('friends');
      },
    );
    if (!ok) return NOT_CONNECTED;
    const m = this.ctx.model;
    m.incoming.delete(user);
    if (accept && !m.friends.has(user)) m.friends.set(user, 'offline');
    this.ctx.touch('friends', 'conversations');
    this.refresh('friends');
    return null;
  }

  async removeFriend(user: string): ActionResult {
    const error = await this.simpleRequest('FRIEND_REMOVE', { sender: this.ctx.me(), receiver: user });
    if (error === null) {
      this.ctx.model.friends.delete(user);
      this.ctx.model.outgoing.delete(user);
      this.ctx.touch('friends', 'conversations');
    }
    this.refresh('friends');
    return error;
  }

  // ---- blocks (docs/protocol.md §15) ----

  /** BLOCK_LIST_REQUEST: the user ids we block, into the model. */
  async loadBlocks(): ActionResult {
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('BLOCK_LIST_REQUEST', { username: this.ctx.me() });
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    if (reply.type !== 'BLOCK_LIST_RESPONSE' || p.code() !== 0) return describeCode(p.code(), p.str('message'));
    this.ctx.model.blocked = new Set(p.strings('blocked'));
    this.ctx.touch('blocks');
    return null;
  }

  /** USER_BLOCK: ends a friendship or pending requests with `input` as FRIEND_REMOVE does;
   *  the node tells only the blocked user (FRIEND_REMOVE), so our lists change here. */
  async block(input: string): ActionResult {
    const receiver = normalizeUserInput(input);
    if (!receiver || isGroupId(receiver)) return 'Enter a user name, like bob or bob@example.org.';
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('USER_BLOCK', { sender: this.ctx.me(), receiver });
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    if (reply.type !== 'USER_BLOCK_ACK' || p.code() !== 0) return describeCode(p.code(), p.str('message'));
    const who = p.str('receiver') || receiver;
    const m = this.ctx.model;
    m.blocked.add(who);
    m.friends.delete(who);
    m.incoming.delete(who);
    m.outgoing.delete(who);
    this.ctx.touch('blocks', 'friends', 'conversations');
    this.refresh('friends');
    return null;
  }

  /** USER_UNBLOCK: nothing comes back (no friendship, no held messages); a request the
   *  blocked user had sent shows up again in `incoming`, so the friends list is reloaded. */
  async unblock(user: string): ActionResult {
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('USER_UNBLOCK', { sender: this.ctx.me(), receiver: user });
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    const code = p.code();
    if (reply.type !== 'USER_UNBLOCK_ACK' || (code !== 0 && code !== NOT_BLOCKED)) return describeCode(code, p.str('message'));
    this.ctx.model.blocked.delete(p.str('receiver') || user);
    this.ctx.touch('blocks');
    this.refresh('friends');
    return null;
  }

  setStatus(status: Status): string | null {
    this.ctx.model.myStatus = status;
    this.ctx.touch('session');
    if (!this.ctx.conn.send('USER_STATUS_UPDATE', { username: this.ctx.me(), status })) return NOT_CONNECTED;
    return null;
  }

  async createGroup(name: string, members: string[]): Promise<{ error: string | null; groupId?: string }> {
    const trimmed = name.trim();
    if (!trimmed) return { error: 'Give the group a name.' };
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('GROUP_CREATE', { sender: this.ctx.me(), members, name: trimmed });
    } catch {
      return { error: NOT_CONNECTED };
    }
    const p = fields(reply);
    if (reply.type === 'GROUP_CREATE_ACK' && p.code() === 0) {
      const groupId = p.str('groupId');
      const conv = this.ctx.model.conversation(groupId, 'group', trimmed);
      conv.lastActivity = Math.max(conv.lastActivity, reply.timestamp ?? Math.floor(Date.now() / 1000));
      this.ctx.model.groups.set(groupId, { groupId, name: trimmed, leader: this.ctx.me(), members: [this.ctx.me()], invited: p.strings('members') });
      this.ctx.touch('groups', 'conversations');
      this.refresh('groups');
      return { error: null, groupId };
    }
    const notFriends = p.strings('not-friends');
    const error = describeCode(p.code(), p.str('message'));
    return { error: notFriends.length ? `${error} (${notFriends.join(', ')})` : error };
  }

  answerInvitation(groupId: string, join: boolean): string | null {
    const inv = this.ctx.model.invitations.get(groupId);
    if (!inv) return 'That invitation is gone.';
    const ok = this.ctx.sendWatched(
      'GROUP_INVITE_RESPONSE',
      { sender: inv.inviter, receiver: this.ctx.me(), group: inv.name, groupId, code: join ? 0 : INVITE_DECLINED },
      (message) => {
        this.ctx.notice(message, 'error');
        this.refresh('groups');
      },
    );
    if (!ok) return NOT_CONNECTED;
    this.ctx.model.invitations.delete(groupId);
    if (join) this.ctx.model.conversation(groupId, 'group', inv.name).lastActivity = Math.floor(Date.now() / 1000);
    this.ctx.touch('groups', 'conversations');
    this.refresh('groups');
    return null;
  }

  leaveGroup(groupId: string): ActionResult {
    return this.groupRequest('GROUP_LEAVE', groupId, {});
  }

  removeGroup(groupId: string): ActionResult {
    return this.groupRequest('GROUP_REMOVE', groupId, {});
  }

  changeLeader(groupId: string, newLeader: string): ActionResult {
    return this.groupRequest('GROUP_LEADER_CHANGE', groupId, { newLeader });
  }

  private async groupRequest(type: string, groupId: string, extra: Record<string, unknown>): ActionResult {
    const name = this.ctx.model.groups.get(groupId)?.name ?? '';
    const error = await this.simpleRequest(type, { sender: this.ctx.me(), group: name, groupId, ...extra });
    if (error === null && type !== 'GROUP_LEADER_CHANGE') {
      this.ctx.model.groups.delete(groupId);
      const conv = this.ctx.model.conversations.get(groupId);
      if (conv) conv.closed = true;
      this.ctx.touch('groups', 'conversations', `conv:${groupId}`);
    }
    this.refresh('groups');
    return error;
  }

  private async simpleRequest(type: string, payload: Record<string, unknown>): ActionResult {
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request(type, payload);
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    return reply.type !== 'ERROR' && p.code() === 0 ? null : describeCode(p.code(), p.str('message'));
  }
}
