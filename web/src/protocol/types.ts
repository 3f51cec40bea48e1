// The wire shapes of docs/protocol.md that the web client reads and writes. Only what the
// client uses is typed; the node ignores unknown fields and so do we.

export interface Envelope {
  type: string;
  timestamp?: number;
  id?: string;
  payload: Record<string, unknown>;
}

export type Status = 'online' | 'away' | 'busy' | 'offline';
export const STATUSES: readonly Status[] = ['online', 'away', 'busy', 'offline'];

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** One message of MESSAGE_HISTORY_DATA (docs/protocol.md §12), or a live TEXT/MEDIA message. */
export interface WireMessage {
  timestamp: number;
  sender: string;
  receiver: string;
  content: string;
  messageId?: string;
  groupId?: string;
  group?: string;
  mediaId?: string;
  mediaType?: string;
  mediaSize?: number;
}

export interface FriendEntry {
  user: string;
  status: Status;
}

export interface GroupEntry {
  groupId: string;
  name: string;
  leader: string;
  members: string[];
  invited: string[];
}

export interface InvitationEntry {
  groupId: string;
  name: string;
  inviter: string;
}

/** A thin, typed view of a payload: accessors that never throw on a missing field. */
export class Fields {
  constructor(private readonly payload: Record<string, unknown>) {}
  str(key: string): string {
    const v = this.payload[key];
    return typeof v === 'string' ? v : '';
  }
  optStr(key: string): string | undefined {
    const v = this.payload[key];
    return typeof v === 'string' ? v : undefined;
  }
  num(key: string): number {
    const v = this.payload[key];
    return typeof v === 'number' ? v : 0;
  }
  optNum(key: string): number | undefined {
    const v = this.payload[key];
    return typeof v === 'number' ? v : undefined;
  }
  code(): number {
    return this.num('code');
  }
  arr(key: string): unknown[] {
    const v = this.payload[key];
    return Array.isArray(v) ? v : [];
  }
  strings(key: string): string[] {
    return this.arr(key).filter((x): x is string => typeof x === 'string');
  }
  numbers(key: string): number[] {
    return this.arr(key).filter((x): x is number => typeof x === 'number');
  }
}

export function fields(msg: Envelope): Fields {
  return new Fields(msg.payload ?? {});
}

export function toWireMessage(p: Fields, timestamp: number): WireMessage {
  const m: WireMessage = {
    timestamp: p.optNum('timestamp') ?? timestamp,
    sender: p.str('sender'),
    receiver: p.str('receiver'),
    content: p.str('content'),
  };
  const opt = ['messageId', 'groupId', 'group', 'mediaId', 'mediaType'] as const;
  for (const key of opt) {
    const v = p.optStr(key);
    if (v !== undefined) m[key] = v;
  }
  const size = p.optNum('mediaSize');
  if (size !== undefined) m.mediaSize = size;
  return m;
}
