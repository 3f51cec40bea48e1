// One WebSocket to the node that comes back by itself: connect, reconnect with exponential
// backoff and jitter until stopped, and request/reply matched by the envelope `id`
// (docs/protocol.md §2). Knows nothing of logins or the DOM; sockets and timers are passed
// in so unit tests drive it with fakes.
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type { Envelope } from './types';

/** What the connection needs of a WebSocket (the browser's fits as is). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const browserTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as number),
  now: () => Date.now(),
};

export type ConnectionState =
  | { phase: 'idle' }
  | { phase: 'connecting'; attempt: number }
  | { phase: 'open' }
  | { phase: 'waiting'; attempt: number; retryAt: number }
  | { phase: 'stopped' };

/** The WebSocket close status of a session the node's administrator ended (protocol.md §1). */
export const ADMIN_CLOSE = 4001;

export class RequestError extends Error {
  constructor(readonly reason: 'closed' | 'timeout' | 'not-open', type: string) {
    super(`${type}: ${reason === 'timeout' ? 'no reply from the node' : 'not connected'}`);
  }
}

export interface ConnectionOptions {
  url: string;
  createSocket: SocketFactory;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffPolicy;
  connectTimeoutMs?: number;
}

const OPEN = 1;
export const DEFAULT_REQUEST_TIMEOUT_MS = 20000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15000;

interface Pending {
  type: string;
  resolve: (m: Envelope) => void;
  reject: (e: Error) => void;
  timer: unknown;
}

export class Connection {
  onOpen: () => void = () => {};
  /** The open connection was lost; `code` is the WebSocket close status (1006: no close frame). */
  onClose: (code: number) => void = () => {};
  onMessage: (m: Envelope) => void = () => {};
  onState: (s: ConnectionState) => void = () => {};

  private socket: SocketLike | null = null;
  private stateValue: ConnectionState = { phase: 'idle' };
  private attempt = 0;
  private retryTimer: unknown = null;
  private connectTimer: unknown = null;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: ConnectionOptions) {
    this.timers = options.timers ?? browserTimers;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }
  get isOpen(): boolean {
    return this.stateValue.phase === 'open';
  }

  /** Connects, and keeps reconnecting after every loss until stop(). */
  start(): void {
    if (this.stateValue.phase !== 'idle' && this.stateValue.phase !== 'stopped') return;
    this.attempt = 0;
    this.connect();
  }

  /** Closes for good (until the next start()); pending requests fail. */
  stop(): void {
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    if (s) {
      this.detach(s);
      s.close(1000);
    }
    this.failPending('closed');
    this.setState({ phase: 'stopped' });
  }

  /** Skips the rest of a backoff wait. */
  retryNow(): void {
    if (this.stateValue.phase !== 'waiting') return;
    this.clearTimers();
    this.connect();
  }

  /** Drops the socket (as a network loss would) and reconnects after the backoff. */
  reconnect(): void {
    if (this.socket) this.lost();
  }

  /** A session worked (the node let us log in): the next loss starts the backoff anew. */
  markHealthy(): void {
    this.attempt = 0;
  }

  /** Sends one message; false when not connected. */
  send(type: string, payload: Record<string, unknown>, id?: string): boolean {
    if (!this.socket || this.stateValue.phase !== 'open' || this.socket.readyState !== OPEN) return false;
    const env: Envelope = { type, payload };
    if (id !== undefined) env.id = id;
    this.socket.send(JSON.stringify(env));
    return true;
  }

  /** Sends with a fresh `id` and resolves with the node's reply carrying that id. */
  request(type: string, payload: Record<string, unknown>, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<Envelope> {
    const id = 'r' + this.nextId++;
    return new Promise<Envelope>((resolve, reject) => {
      if (!this.send(type, payload, id)) {
        reject(new RequestError('not-open', type));
        return;
      }
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', type));
      }, timeoutMs);
      this.pending.set(id, { type, resolve, reject, timer });
    });
  }

  private connect(): void {
    this.setState({ phase: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.clearConnectTimer();
      this.setState({ phase: 'open' });
      this.onOpen();
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onclose = (ev) => {
      if (this.socket === socket) this.lost(ev?.code ?? 1006);
    };
    socket.onerror = () => {};
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.socket === socket && this.stateValue.phase === 'connecting') this.lost();
    }, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof (msg as Envelope).type !== 'string') return;
    const env = msg as Envelope;
    if (typeof env.payload !== 'object' || env.payload === null) env.payload = {};
    const waiting = env.id !== undefined ? this.pending.get(env.id) : undefined;
    if (waiting && env.id !== undefined) {
      this.pending.delete(env.id);
      this.timers.clearTimeout(waiting.timer);
      waiting.resolve(env);
      return;
    }
    this.onMessage(env);
  }

  private lost(code = 1006): void {
    const s = this.socket;
    this.socket = null;
    if (s) {
      this.detach(s);
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    this.clearConnectTimer();
    const wasOpen = this.stateValue.phase === 'open';
    this.failPending('closed');
    if (wasOpen) this.onClose(code); // may stop() (a session the administrator closed): no retry then
    if (this.stateValue.phase !== 'stopped') this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.backoff, this.attempt, this.random());
    const attempt = ++this.attempt;
    this.setState({ phase: 'waiting', attempt, retryAt: this.timers.now() + delay });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private failPending(reason: 'closed'): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.timers.clearTimeout(p.timer);
      p.reject(new RequestError(reason, p.type));
    }
  }

  private detach(s: SocketLike): void {
    s.onopen = null;
    s.onmessage = null;
    s.onclose = null;
    s.onerror = null;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) this.timers.clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearTimers(): void {
    this.clearConnectTimer();
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setState(s: ConnectionState): void {
    this.stateValue = s;
    this.onState(s);
  }
}
