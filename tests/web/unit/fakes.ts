// Fakes for unit tests of the web client's protocol layer (these are unit tests of one
// module: the browser tests in tests/web/browser run the real page against real nodes).
// FakeTimers: a manual clock. FakeNode: sockets that answer like a node would, scripted
// by the test: logins and tokens, the lists, history syncs with their acks, text acks.
import { webcrypto } from 'node:crypto';
import type { SocketLike, Timers } from '../../../web/src/protocol/connection';
import type { Envelope, FriendEntry, WireMessage } from '../../../web/src/protocol/types';

export const subtle = webcrypto.subtle as unknown as { digest(a: 'SHA-256', d: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };

/** Lets every queued promise and microtask run (several rounds: chains of awaits). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Waits (real time, at most `ms`) until `predicate` holds; WebCrypto digests finish on
 *  Node's thread pool, after any number of microtask rounds. */
export async function until(predicate: () => boolean, what = 'condition', ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  await flush();
}

export class FakeTimers implements Timers {
  private time = 1_700_000_000_000;
  private nextHandle = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const h = this.nextHandle++;
    this.due.set(h, { at: this.time + ms, fn });
    return h;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  now(): number {
    return this.time;
  }
  /** Moves the clock, running every timer that comes due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.due.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
  pending(): number[] {
    return [...this.due.values()].map((d) => d.at - this.time).sort((a, b) => a - b);
  }
}

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly sent: Envelope[] = [];
  closedByClient = false;

  constructor(
    readonly url: string,
    private readonly node: FakeNode | null,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const env = JSON.parse(data) as Envelope;
    this.sent.push(env);
    if (this.node) queueMicrotask(() => this.node!.handle(this, env));
  }
  close(): void {
    this.closedByClient = true;
    this.readyState = 3;
  }
  /** The node accepted the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  push(env: Envelope): void {
    this.onmessage?.({ data: JSON.stringify(env) });
  }
  /** The connection broke (network, node restart: 1006), or the node closed it with `code`. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

export interface HistoryItem extends WireMessage {
  messageId: string;
}

/** Messages per MESSAGE_HISTORY_DATA (the node sends up to 100; fewer here, so that
 *  syncs take several chunks and acks). */
const HISTORY_CHUNK = 40;

/** A node for one user, answering the requests the client makes. */
export class FakeNode {
  readonly sockets: FakeSocket[] = [];
  user = 'alice@alpha.example';
  friends: FriendEntry[] = [];
  incoming: string[] = [];
  groups: unknown[] = [];
  invitations: unknown[] = [];
  history: HistoryItem[] = [];
  /** Valid resumption tokens; a login with requestToken gets a new one. */
  readonly tokens = new Set<string>();
  issueTokens = true;
  /** When set, LOGIN_REQUEST gets this code. */
  loginCode = 0;
  /** Sockets open as soon as they are made (else the test calls open()). */
  autoOpen = true;
  /** Hold TEXT_MESSAGE acks (the message is stored, the ack not sent). */
  holdTextAcks = false;
  /** Items of the running history sync, per socket. */
  private readonly syncs = new Map<FakeSocket, { chunks: HistoryItem[][]; next: number }>();
  private nextToken = 1;
  private nextMessageId = 100;

  readonly createSocket = (url: string): FakeSocket => {
    const s = new FakeSocket(url, this);
    this.sockets.push(s);
    if (this.autoOpen) queueMicrotask(() => s.open());
    return s;
  };

  get socket(): FakeSocket {
    return this.sockets[this.sockets.length - 1]!;
  }

  /** Everything the client sent (all connections), optionally of one type. */
  sent(type?: string): Envelope[] {
    const all = this.sockets.flatMap((s) => s.sent);
    return type ? all.filter((e) => e.type === type) : all;
  }

  addMessage(m: Omit<HistoryItem, 'messageId'>): HistoryItem {
    const item = { ...m, messageId: String(this.nextMessageId++) };
    this.history.push(item);
    return item;
  }

  /** Test-specific answers by message type (instead of the defaults below). */
  readonly overrides = new Map<string, (s: FakeSocket, env: Envelope) => void>();

  handle(s: FakeSocket, env: Envelope): void {
    const override = this.overrides.get(env.type);
    if (override) return override(s, env);
    const p = env.payload;
    const reply = (type: string, payload: Record<string, unknown>) => s.push({ type, timestamp: 1700000000, ...(env.id ? { id: env.id } : {}), payload });
    switch (env.type) {
      case 'LOGIN_REQUEST':
        return this.login(p, reply);
      case 'FRIEND_LIST_REQUEST':
        return reply('FRIEND_LIST_RESPONSE', { username: this.user, friends: this.friends, incoming: this.incoming, outgoing: [], code: 0 });
      case 'GROUP_LIST_REQUEST':
        return reply('GROUP_LIST_RESPONSE', { username: this.user, groups: this.groups, invitations: this.invitations, code: 0 });
      case 'MESSAGE_HISTORY_REQUEST':
        return this.historyRequest(s, p, reply);
      case 'MESSAGE_HISTORY_BEGIN_ACK':
      case 'MESSAGE_HISTORY_DATA_ACK':
        return this.historyNext(s);
      case 'TEXT_MESSAGE': {
        const item = this.addMessage({ timestamp: 1700000000, sender: this.user, receiver: String(p['receiver']), content: String(p['content']) });
        if (!this.holdTextAcks) reply('TEXT_MESSAGE_ACK', { messageId: item.messageId, receiver: p['receiver'], code: 0 });
        return;
      }
      default:
        return;
    }
  }

  private login(p: Record<string, unknown>, reply: (t: string, p: Record<string, unknown>) => void): void {
    if (this.loginCode) return reply('LOGIN_RESPONSE', { success: false, code: this.loginCode });
    if (typeof p['token'] === 'string' && !this.tokens.has(p['token'])) return reply('LOGIN_RESPONSE', { success: false, code: 2001 });
    const out: Record<string, unknown> = { success: true, code: 0 };
    if (p['requestToken'] === true && this.issueTokens) {
      const token = `token-${this.nextToken++}`;
      this.tokens.add(token);
      out['token'] = token;
      out['tokenExpires'] = 1700000000 + 30 * 86400;
    }
    reply('LOGIN_RESPONSE', out);
  }

  private historyRequest(s: FakeSocket, p: Record<string, unknown>, reply: (t: string, p: Record<string, unknown>) => void): void {
    const cmp = (a: string, b: string) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);
    let items = this.history.filter((m) => {
      const w = p['with'];
      if (typeof w === 'string' && m.groupId !== w && !(m.sender === w || m.receiver === w)) return false;
      if (typeof p['before'] === 'string' && cmp(m.messageId, p['before']) >= 0) return false;
      if (typeof p['after'] === 'string' && cmp(m.messageId, p['after']) <= 0) return false;
      return true;
    });
    const limit = typeof p['limit'] === 'number' ? p['limit'] : items.length;
    items = typeof p['after'] === 'string' ? items.slice(0, limit) : items.slice(Math.max(0, items.length - limit));
    if (!items.length) return reply('MESSAGE_HISTORY_RESPONSE', { username: this.user, code: 6001 });
    const chunks: HistoryItem[][] = [];
    for (let i = 0; i < items.length; i += HISTORY_CHUNK) chunks.push(items.slice(i, i + HISTORY_CHUNK));
    this.syncs.set(s, { chunks, next: 0 });
    reply('MESSAGE_HISTORY_RESPONSE', { username: this.user, code: 0 });
    s.push({ type: 'MESSAGE_HISTORY_BEGIN', timestamp: 1700000000, payload: { username: this.user, code: 0 } });
  }

  private historyNext(s: FakeSocket): void {
    const sync = this.syncs.get(s);
    if (!sync) return;
    if (sync.next < sync.chunks.length) {
      const chunkIndex = sync.next + 1;
      s.push({ type: 'MESSAGE_HISTORY_DATA', timestamp: 1700000000, payload: { username: this.user, chunkIndex, messages: sync.chunks[sync.next++] } });
      return;
    }
    this.syncs.delete(s);
    s.push({ type: 'MESSAGE_HISTORY_COMPLETE', timestamp: 1700000000, payload: { username: this.user, code: 0 } });
  }
}
