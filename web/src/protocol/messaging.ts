// Conversations: live text and media messages, sending with a visible "sending → sent"
// state from TEXT_MESSAGE_ACK, history (the latest page on opening a conversation, older
// pages on scrolling up, catch-up with `after` after a reconnect), read markers and unread
// counts, and media transfers into the items the UI shows.
import { describeCode } from './codes';
import type { ActionResult, ClientContext } from './context';
import { NOT_CONNECTED } from './context';
import { HistorySync } from './history';
import { compareMessageIds, isGroupId, makeMediaId, maxMessageId, mediaName } from './ids';
import { Downloads, Uploads, type FileSource } from './media';
import {
  countUnread,
  newestMessageId,
  oldestMessageId,
  upsertItem,
  type ChatItem,
  type Conversation,
  type MediaView,
} from './model';
import type { Digester } from './password_hash';
import type { KeyValueStore } from './storage';
import { fields, toWireMessage, type Envelope, type WireMessage } from './types';

/** Messages asked for when a conversation opens, and per page when scrolling up. */
export const HISTORY_PAGE = 50;
/** The latest messages of all conversations fetched at the first login of a page. */
export const RECENT_MESSAGES = 100;
/** Catch-up after a reconnect: pages of this many, at most CATCH_UP_PAGES of them. */
export const CATCH_UP_PAGE = 500;
export const CATCH_UP_PAGES = 20;
/** Images up to this size are fetched at once so their preview shows. */
export const AUTO_DOWNLOAD_BYTES = 16 * 1024 * 1024;
const MAX_READ_MARKERS = 500;

interface Outgoing {
  convKey: string;
  content: string;
  item: ChatItem;
}

export class Messaging {
  readonly history: HistorySync;
  readonly uploads: Uploads;
  readonly downloads: Downloads;
  private lastSeen: string | undefined;
  private readonly outbox = new Map<string, Outgoing>();
  private nextLocal = 1;
  private readMarkers: Record<string, string> = {};
  private active: string | null = null;
  private visible = true;

  constructor(
    private readonly ctx: ClientContext,
    private readonly storage: KeyValueStore,
    subtle: Digester,
    private readonly randomBytes: (n: number) => Uint8Array,
    timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void },
  ) {
    this.history = new HistorySync(ctx.conn, () => ctx.me(), timers);
    const changed = (view: MediaView) => this.mediaChanged(view);
    this.uploads = new Uploads(ctx.conn, () => ctx.me(), changed);
    this.downloads = new Downloads(ctx.conn, () => ctx.me(), subtle, changed);
  }

  get lastSeenMessageId(): string | undefined {
    return this.lastSeen;
  }

  reset(): void {
    this.lastSeen = undefined;
    this.outbox.clear();
    this.readMarkers = {};
    this.active = null;
  }

  loadReadMarkers(): void {
    try {
      const raw = this.storage.getItem(this.markerKey());
      this.readMarkers = raw ? (JSON.parse(raw) as Record<string, string>) : {};
    } catch {
      this.readMarkers = {};
    }
  }

  // ---- live messages ----

  handle(env: Envelope): boolean {
    if (this.history.handle(env) || this.uploads.handle(env) || this.downloads.handle(env)) return true;
    if (env.type === 'TEXT_MESSAGE') {
      this.mergeWire([toWireMessage(fields(env), env.timestamp ?? 0)]);
      return true;
    }
    if (env.type === 'MEDIA_MESSAGE') {
      this.offer(env);
      return true;
    }
    if (env.type === 'TEXT_MESSAGE_ACK') return true; // one whose request timed out; catch-up settles it
    return false;
  }

  private offer(env: Envelope): void {
    const w = toWireMessage(fields(env), env.timestamp ?? 0);
    const stored = this.mergeWire([w])[0];
    if (!stored?.media) return;
    const auto = stored.media.type.startsWith('image/') && stored.media.size <= AUTO_DOWNLOAD_BYTES;
    this.downloads.offer(env, stored.media, auto);
  }

  /** Puts messages (live, inbox or history) into their conversations; returns the stored items. */
  mergeWire(messages: WireMessage[]): ChatItem[] {
    const me = this.ctx.me();
    const out: ChatItem[] = [];
    const touched = new Set<string>();
    for (const w of messages) {
      const outgoing = w.sender === me;
      const key = w.groupId ?? (isGroupId(w.receiver) ? w.receiver : outgoing ? w.receiver : w.sender);
      const conv = this.ctx.model.conversation(key, isGroupId(key) ? 'group' : 'direct', w.group);
      const item: ChatItem = {
        key: w.messageId !== undefined ? `m${w.messageId}` : `l${this.nextLocal++}`,
        sender: w.sender,
        content: w.content,
        timestamp: w.timestamp,
        outgoing,
      };
      if (w.messageId !== undefined) item.messageId = w.messageId;
      if (outgoing) item.delivery = 'sent';
      if (w.mediaId !== undefined) {
        item.media = {
          mediaId: w.mediaId,
          name: mediaName(w.mediaId),
          type: w.mediaType ?? '',
          size: w.mediaSize ?? 0,
          phase: outgoing ? 'sent' : 'unavailable',
          done: 0,
          total: 0,
        };
      }
      out.push(this.adoptOwn(conv, item) ?? upsertItem(conv, item));
      this.lastSeen = maxMessageId(this.lastSeen, w.messageId);
      touched.add(key);
    }
    for (const key of touched) this.convChanged(key);
    if (touched.size) this.ctx.touch('conversations');
    return out;
  }

  /** A text of ours seen in history before its ACK came (the ACK was lost with a connection). */
  private adoptOwn(conv: Conversation, item: ChatItem): ChatItem | null {
    if (!item.outgoing || item.media || item.messageId === undefined) return null;
    if (conv.items.some((i) => i.messageId === item.messageId)) return null;
    for (const [localId, o] of this.outbox) {
      if (o.convKey === conv.key && o.content === item.content) {
        this.outbox.delete(localId);
        o.item.messageId = item.messageId;
        o.item.delivery = 'sent';
        o.item.timestamp = item.timestamp;
        return o.item;
      }
    }
    return null;
  }

  // ---- history ----

  /** The first login of a page: the latest messages of every conversation. */
  async loadRecent(): Promise<void> {
    this.mergeWire(await this.history.fetch({ limit: RECENT_MESSAGES }));
  }

  /** After a reconnect: everything stored since the last message this page saw. */
  async catchUp(): Promise<void> {
    let after = this.lastSeen;
    if (after === undefined) return this.loadRecent();
    for (let page = 0; page < CATCH_UP_PAGES; page++) {
      const got = await this.history.fetch({ after, limit: CATCH_UP_PAGE });
      this.mergeWire(got);
      if (got.length < CATCH_UP_PAGE) break;
      after = got[got.length - 1]!.messageId ?? after;
    }
  }

  /** The latest page of a conversation, once per page life (later ones come live). */
  async loadInitial(key: string): Promise<void> {
    const conv = this.ctx.model.conversations.get(key);
    if (!conv || conv.loadedInitial) return;
    conv.loadedInitial = true;
    try {
      const got = await this.history.fetch({ with: key, limit: HISTORY_PAGE });
      if (got.length < HISTORY_PAGE) conv.reachedStart = true;
      this.mergeWire(got);
    } catch {
      conv.loadedInitial = false; // asked again on the next opening
    }
    this.convChanged(key);
  }

  /** The page before the oldest message shown (scrolling up). */
  async loadOlder(key: string): Promise<void> {
    const conv = this.ctx.model.conversations.get(key);
    if (!conv || conv.reachedStart || conv.loadingOlder) return;
    const before = oldestMessageId(conv);
    if (before === undefined) return this.loadInitial(key);
    conv.loadingOlder = true;
    this.convChanged(key);
    try {
      const got = await this.history.fetch({ with: key, before, limit: HISTORY_PAGE });
      if (got.length < HISTORY_PAGE) conv.reachedStart = true;
      this.mergeWire(got);
    } catch {
      /* the connection went; scrolling up again retries */
    } finally {
      conv.loadingOlder = false;
      this.convChanged(key);
    }
  }

  // ---- sending ----

  sendText(convKey: string, text: string): string | null {
    const content = text.trim();
    if (!content) return 'Type a message first.';
    const conv = this.conversationFor(convKey);
    if (conv.closed) return 'You are no longer in this group.';
    const localId = String(this.nextLocal++);
    const item = upsertItem(conv, {
      key: `l${localId}`,
      localId,
      sender: this.ctx.me(),
      content,
      timestamp: Math.floor(Date.now() / 1000),
      outgoing: true,
      delivery: 'sending',
    });
    this.outbox.set(localId, { convKey, content, item });
    this.convChanged(convKey);
    this.ctx.touch('conversations');
    if (this.ctx.conn.isOpen) void this.transmit(localId);
    return null;
  }

  /** Sends what waited for the connection (after the catch-up adopted what had arrived). */
  flushOutbox(): void {
    for (const localId of [...this.outbox.keys()]) void this.transmit(localId);
  }

  private async transmit(localId: string): Promise<void> {
    const o = this.outbox.get(localId);
    if (!o) return;
    let reply: Envelope;
    try {
      reply = await this.ctx.conn.request('TEXT_MESSAGE', { sender: this.ctx.me(), receiver: o.convKey, content: o.content });
    } catch {
      return; // stays "sending": the catch-up after the next login settles it
    }
    if (!this.outbox.has(localId)) return;
    this.outbox.delete(localId);
    const p = fields(reply);
    if (reply.type === 'TEXT_MESSAGE_ACK' && p.code() === 0) {
      o.item.delivery = 'sent';
      const id = p.optStr('messageId');
      const conv = this.ctx.model.conversations.get(o.convKey);
      if (id !== undefined && conv && !conv.items.some((i) => i.messageId === id)) o.item.messageId = id;
      if (reply.timestamp) o.item.timestamp = reply.timestamp;
    } else {
      o.item.delivery = 'failed';
      o.item.error = describeCode(p.code(), p.str('message'));
    }
    this.convChanged(o.convKey);
  }

  sendFile(convKey: string, file: FileSource, preview?: Blob): string | null {
    if (file.size <= 0) return 'That file is empty.';
    const conv = this.conversationFor(convKey);
    if (conv.closed) return 'You are no longer in this group.';
    const mediaId = makeMediaId(file.name, this.randomBytes(16));
    const view: MediaView = { mediaId, name: mediaName(mediaId), type: file.type, size: file.size, phase: 'uploading', done: 0, total: 0 };
    if (preview) view.blob = preview;
    const localId = String(this.nextLocal++);
    upsertItem(conv, {
      key: `l${localId}`,
      localId,
      sender: this.ctx.me(),
      content: '',
      timestamp: Math.floor(Date.now() / 1000),
      outgoing: true,
      media: view,
    });
    this.uploads.start(convKey, file, view);
    this.convChanged(convKey);
    this.ctx.touch('conversations');
    return null;
  }

  download(mediaId: string): string | null {
    if (!this.ctx.conn.isOpen) return NOT_CONNECTED;
    this.downloads.request(mediaId);
    return null;
  }

  retry(convKey: string, localKey: string): ActionResult {
    const conv = this.ctx.model.conversations.get(convKey);
    const item = conv?.items.find((i) => i.key === localKey);
    if (!conv || !item || item.delivery !== 'failed') return Promise.resolve(null);
    conv.items.splice(conv.items.indexOf(item), 1);
    return Promise.resolve(this.sendText(convKey, item.content));
  }

  // ---- read markers ----

  /** The conversation on screen (null: none) and whether the page is visible. */
  setView(active: string | null, visible: boolean): void {
    this.active = active;
    this.visible = visible;
    if (active) this.markRead(active);
  }

  private markRead(key: string): void {
    const conv = this.ctx.model.conversations.get(key);
    if (!conv) return;
    const newest = newestMessageId(conv);
    const marker = this.readMarkers[key];
    if (newest !== undefined && (marker === undefined || compareMessageIds(newest, marker) > 0)) {
      this.readMarkers[key] = newest;
      this.saveReadMarkers();
    }
    if (conv.unread !== 0) {
      conv.unread = 0;
      this.ctx.touch('conversations');
    }
  }

  /** Removes this user's read markers from storage (the account is gone). */
  forgetReadMarkers(): void {
    this.readMarkers = {};
    try {
      this.storage.removeItem(this.markerKey());
    } catch {
      /* storage blocked: nothing was kept */
    }
  }

  private saveReadMarkers(): void {
    const keys = Object.keys(this.readMarkers);
    if (keys.length > MAX_READ_MARKERS) for (const k of keys.slice(0, keys.length - MAX_READ_MARKERS)) delete this.readMarkers[k];
    try {
      this.storage.setItem(this.markerKey(), JSON.stringify(this.readMarkers));
    } catch {
      /* storage full or blocked: unread counts reset with the page */
    }
  }

  private markerKey(): string {
    return `chatnode.read.${this.ctx.me()}`;
  }

  private convChanged(key: string): void {
    if (this.active === key && this.visible) this.markRead(key);
    const conv = this.ctx.model.conversations.get(key);
    if (conv) {
      const unread = countUnread(conv, this.readMarkers[key]);
      if (unread !== conv.unread) {
        conv.unread = unread;
        this.ctx.touch('conversations');
      }
    }
    this.ctx.touch(`conv:${key}`);
  }

  private mediaChanged(view: MediaView): void {
    for (const conv of this.ctx.model.conversations.values()) {
      if (conv.items.some((i) => i.media === view)) {
        this.ctx.touch(`conv:${conv.key}`);
        return;
      }
    }
  }

  /** The conversation with a user or group, made (empty) if there is none yet. */
  conversationFor(key: string): Conversation {
    const m = this.ctx.model;
    return m.conversation(key, isGroupId(key) ? 'group' : 'direct', m.groups.get(key)?.name);
  }
}
