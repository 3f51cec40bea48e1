// What the page shows, kept without any DOM: friends with presence, requests, groups and
// invitations, and conversations of ordered items with unread counts. The client updates
// it from the node's messages; the UI reads it after each change notification.
import { compareMessageIds } from './ids';
import type { GroupEntry, InvitationEntry, Status } from './types';

export type MediaPhase =
  | 'uploading' // chunks going up
  | 'paused' // connection lost; resumes after the next login
  | 'sent' // the node has every byte (or: our own media, seen in history)
  | 'offered' // someone sent it; not downloaded yet
  | 'downloading'
  | 'done' // the bytes are here (blob)
  | 'failed'
  | 'unavailable'; // in history, but the node no longer offers the bytes

export interface MediaView {
  mediaId: string;
  name: string;
  type: string;
  size: number;
  phase: MediaPhase;
  done: number; // chunks transferred
  total: number; // chunks in all (0 until known)
  blob?: Blob;
  error?: string;
}

export type Delivery = 'sending' | 'sent' | 'failed';

export interface ChatItem {
  key: string; // "m<messageId>", "l<local id>" or "n<notice id>"
  messageId?: string;
  localId?: string;
  sender: string; // full id; "" for notices
  content: string;
  timestamp: number; // seconds since the epoch
  outgoing: boolean;
  delivery?: Delivery;
  error?: string;
  media?: MediaView;
  notice?: boolean;
}

export interface Conversation {
  key: string; // the friend's user id, or the group id
  kind: 'direct' | 'group';
  title: string;
  items: ChatItem[];
  unread: number;
  lastActivity: number;
  loadedInitial: boolean; // the latest page of its history was asked for
  reachedStart: boolean; // nothing older on the node
  loadingOlder: boolean;
  closed: boolean; // a group we left or that was removed
}

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export type Topic = 'session' | 'connection' | 'friends' | 'groups' | 'conversations' | 'notices' | 'blocks' | `conv:${string}`;

export class Model {
  me = '';
  friends = new Map<string, Status>();
  incoming = new Set<string>();
  outgoing = new Set<string>();
  groups = new Map<string, GroupEntry>();
  invitations = new Map<string, InvitationEntry>();
  /** The user ids we block (BLOCK_LIST_RESPONSE, then our own USER_BLOCK/USER_UNBLOCK). */
  blocked = new Set<string>();
  conversations = new Map<string, Conversation>();
  notices: Notice[] = [];
  myStatus: Status = 'online';
  private nextNotice = 1;

  reset(): void {
    this.me = '';
    this.friends.clear();
    this.incoming.clear();
    this.outgoing.clear();
    this.groups.clear();
    this.invitations.clear();
    this.blocked.clear();
    this.conversations.clear();
    this.notices = [];
    this.myStatus = 'online';
  }

  conversation(key: string, kind: 'direct' | 'group', title?: string): Conversation {
    let c = this.conversations.get(key);
    if (!c) {
      c = {
        key,
        kind,
        title: title ?? key,
        items: [],
        unread: 0,
        lastActivity: 0,
        loadedInitial: false,
        reachedStart: false,
        loadingOlder: false,
        closed: false,
      };
      this.conversations.set(key, c);
    } else if (title && c.kind === 'group') {
      c.title = title;
    }
    return c;
  }

  addNotice(text: string, kind: 'info' | 'error' = 'info'): Notice {
    const n = { id: this.nextNotice++, text, kind };
    this.notices.push(n);
    if (this.notices.length > MAX_NOTICES) this.notices.shift();
    return n;
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Conversations to list: those with something in them, and every group, newest first. */
  sortedConversations(): Conversation[] {
    return [...this.conversations.values()]
      .filter((c) => c.kind === 'group' || c.items.some((i) => !i.notice))
      .sort((a, b) => b.lastActivity - a.lastActivity || a.title.localeCompare(b.title));
  }
}

export const MAX_NOTICES = 5;
/** Items kept per conversation; older ones are dropped (and paged in again on scroll). */
export const MAX_ITEMS_PER_CONVERSATION = 5000;

/**
 * Puts `item` into `conv` in order: an older message (paging) before the first newer one,
 * a new one at the end but before our messages still waiting for their ack; notices and
 * local items in arrival order. An item already present (same
 * messageId, or same localId) is merged instead. Returns the stored item.
 */
export function upsertItem(conv: Conversation, item: ChatItem): ChatItem {
  const existing = findItem(conv, item);
  if (existing) {
    mergeInto(existing, item);
    return existing;
  }
  const items = conv.items;
  if (item.messageId === undefined) {
    items.push(item);
  } else {
    const id = item.messageId;
    const later = items.findIndex((i) => i.messageId !== undefined && compareMessageIds(i.messageId, id) > 0);
    if (later >= 0) {
      items.splice(later, 0, item); // an older message (history paging)
    } else {
      // The newest: at the end, but before our own messages still waiting for their ack.
      let at = items.length;
      while (at > 0 && items[at - 1]!.messageId === undefined && items[at - 1]!.delivery === 'sending') at--;
      items.splice(at, 0, item);
    }
  }
  if (item.timestamp > conv.lastActivity && !item.notice) conv.lastActivity = item.timestamp;
  if (items.length > MAX_ITEMS_PER_CONVERSATION) {
    items.splice(0, items.length - MAX_ITEMS_PER_CONVERSATION);
    conv.reachedStart = false;
  }
  return item;
}

function findItem(conv: Conversation, item: ChatItem): ChatItem | undefined {
  if (item.messageId !== undefined) {
    const byId = conv.items.find((i) => i.messageId === item.messageId);
    if (byId) return byId;
  }
  if (item.localId !== undefined) return conv.items.find((i) => i.localId === item.localId);
  if (item.media) return conv.items.find((i) => i.media?.mediaId === item.media!.mediaId);
  return undefined;
}

function mergeInto(into: ChatItem, from: ChatItem): void {
  if (from.messageId !== undefined && into.messageId === undefined) into.messageId = from.messageId;
  if (from.media && into.media) {
    // A transfer under way or done here knows more than a history entry or a new offer.
    const rank = (p: MediaPhase) => ['unavailable', 'sent', 'offered', 'paused', 'failed', 'uploading', 'downloading', 'done'].indexOf(p);
    // Updated in place: the transfer code holds this very object.
    if (rank(from.media.phase) > rank(into.media.phase)) Object.assign(into.media, from.media);
  } else if (from.media) {
    into.media = from.media;
  }
}

/** The unread count: messages from others newer than the read marker. */
export function countUnread(conv: Conversation, lastRead: string | undefined): number {
  let n = 0;
  for (const i of conv.items) {
    if (i.outgoing || i.notice || i.messageId === undefined) continue;
    if (lastRead === undefined || compareMessageIds(i.messageId, lastRead) > 0) n++;
  }
  return n;
}

export function newestMessageId(conv: Conversation): string | undefined {
  for (let i = conv.items.length - 1; i >= 0; i--) {
    const id = conv.items[i]!.messageId;
    if (id !== undefined) return id;
  }
  return undefined;
}

export function oldestMessageId(conv: Conversation): string | undefined {
  for (const i of conv.items) if (i.messageId !== undefined) return i.messageId;
  return undefined;
}
