// MESSAGE_HISTORY sync (docs/protocol.md §12): REQUEST -> RESPONSE, BEGIN/ack, DATA/ack
// per chunk, COMPLETE/ack. The node runs one sync per connection (a new request cancels
// the running one), so requests queue here and run one at a time.
import { Connection, RequestError } from './connection';
import { fields, toWireMessage, type Envelope, type WireMessage } from './types';

export interface HistoryFilter {
  with?: string;
  before?: string;
  after?: string;
  limit?: number;
}

export const NO_HISTORY = 6001;
/** A sync that stops moving (no BEGIN/DATA/COMPLETE) for this long fails. */
export const HISTORY_STALL_MS = 20000;

export class HistoryError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

interface Job {
  filter: HistoryFilter;
  resolve: (messages: WireMessage[]) => void;
  reject: (e: Error) => void;
}

interface Active extends Job {
  messages: WireMessage[];
  timer: unknown;
}

export class HistorySync {
  private readonly queue: Job[] = [];
  private active: Active | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly username: () => string,
    private readonly timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void },
  ) {}

  /** The messages matching `filter`, in the node's order (ascending messageId). */
  fetch(filter: HistoryFilter): Promise<WireMessage[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ filter, resolve, reject });
      if (!this.active) this.next();
    });
  }

  /** Feeds BEGIN / DATA / COMPLETE; true when the message belonged to a sync. */
  handle(env: Envelope): boolean {
    const a = this.active;
    const p = fields(env);
    switch (env.type) {
      case 'MESSAGE_HISTORY_BEGIN':
        if (!a) return true;
        this.touch(a);
        this.conn.send('MESSAGE_HISTORY_BEGIN_ACK', { username: this.username() });
        return true;
      case 'MESSAGE_HISTORY_DATA':
        if (!a) return true;
        this.touch(a);
        for (const item of p.arr('messages')) {
          if (typeof item === 'object' && item !== null)
            a.messages.push(toWireMessage(fields({ type: '', payload: item as Record<string, unknown> }), env.timestamp ?? 0));
        }
        this.conn.send('MESSAGE_HISTORY_DATA_ACK', { username: this.username(), chunkIndex: p.num('chunkIndex') });
        return true;
      case 'MESSAGE_HISTORY_COMPLETE':
        if (!a) return true;
        this.conn.send('MESSAGE_HISTORY_COMPLETE_ACK', { username: this.username() });
        this.finish(a, null);
        return true;
      default:
        return false;
    }
  }

  /** The connection is gone: every sync, running or queued, fails. */
  reset(): void {
    const jobs = this.queue.splice(0);
    if (this.active) jobs.unshift(this.active);
    if (this.active) this.timers.clearTimeout(this.active.timer);
    this.active = null;
    for (const j of jobs) j.reject(new RequestError('closed', 'MESSAGE_HISTORY_REQUEST'));
  }

  private next(): void {
    const job = this.queue.shift();
    if (!job) return;
    const a: Active = { ...job, messages: [], timer: null };
    this.active = a;
    this.touch(a);
    const payload: Record<string, unknown> = { username: this.username(), ...job.filter };
    this.conn.request('MESSAGE_HISTORY_REQUEST', payload).then(
      (reply) => {
        if (this.active !== a) return;
        const code = fields(reply).code();
        if (reply.type === 'MESSAGE_HISTORY_RESPONSE' && code === 0) return; // BEGIN follows
        if (reply.type === 'MESSAGE_HISTORY_RESPONSE' && code === NO_HISTORY) return this.finish(a, null);
        this.finish(a, new HistoryError(code, fields(reply).str('message') || `history refused (${code})`));
      },
      (e: Error) => {
        if (this.active === a) this.finish(a, e);
      },
    );
  }

  private touch(a: Active): void {
    if (a.timer !== null) this.timers.clearTimeout(a.timer);
    a.timer = this.timers.setTimeout(() => {
      if (this.active === a) this.finish(a, new HistoryError(0, 'history sync stalled'));
    }, HISTORY_STALL_MS);
  }

  private finish(a: Active, error: Error | null): void {
    this.timers.clearTimeout(a.timer);
    this.active = null;
    if (error) a.reject(error);
    else a.resolve(a.messages);
    this.next();
  }
}
