// Media both ways (docs/protocol.md §13). Upload: MEDIA_MESSAGE, then the chunks the node
// lacks (its ACK lists `receivedChunks`, so a transfer cut by a reconnect resumes where it
// stopped), a window of chunks in flight, COMPLETE answered with COMPLETE_ACK. Download:
// the offer answered with ACK (+ the chunks we hold), each chunk acked, the bytes checked
// against `sha256`, then COMPLETE. Progress goes into the MediaView the UI shows.
import { decodeBase64, encodeBase64 } from './base64';
import { describeCode } from './codes';
import { Connection } from './connection';
import type { MediaView } from './model';
import { toHex, type Digester } from './password_hash';
import { fields, type Envelope } from './types';

/** A file to send: the browser's File/Blob fits through blobSource(). */
export interface FileSource {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export function blobSource(blob: Blob, name: string): FileSource {
  return {
    name,
    type: blob.type || 'application/octet-stream',
    size: blob.size,
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
  };
}

/** Raw bytes per chunk: half the node's default limit (media.max_chunk_bytes, 64 KiB). */
export const CHUNK_BYTES = 32 * 1024;
/** Chunks sent ahead of the node's DATA_ACKs. */
export const UPLOAD_WINDOW = 8;

export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_BYTES));
}

interface Upload {
  view: MediaView;
  receiver: string;
  file: FileSource;
  acked: Set<number>;
  inFlight: Set<number>;
  started: boolean; // the node accepted our MEDIA_MESSAGE on this connection
}

export class Uploads {
  private readonly uploads = new Map<string, Upload>();

  constructor(
    private readonly conn: Connection,
    private readonly me: () => string,
    private readonly changed: (view: MediaView) => void,
  ) {}

  /** Starts sending `file` to `receiver` (a user id or group id) as `view.mediaId`. */
  start(receiver: string, file: FileSource, view: MediaView): void {
    view.total = chunkCount(file.size);
    view.phase = this.conn.isOpen ? 'uploading' : 'paused';
    const u: Upload = { view, receiver, file, acked: new Set(), inFlight: new Set(), started: false };
    this.uploads.set(view.mediaId, u);
    this.changed(view);
    if (this.conn.isOpen) void this.announce(u);
  }

  /** After a (re)login: every unfinished upload announces itself again and resumes. */
  resumeAll(): void {
    for (const u of this.uploads.values()) {
      if (u.view.phase === 'paused' || u.view.phase === 'uploading') void this.announce(u);
    }
  }

  /** The connection is gone: transfers wait for the next login. */
  pauseAll(): void {
    for (const u of this.uploads.values()) {
      u.inFlight.clear();
      u.started = false;
      if (u.view.phase === 'uploading') {
        u.view.phase = 'paused';
        this.changed(u.view);
      }
    }
  }

  /** DATA_ACK and COMPLETE of our uploads; true when the message was one. */
  handle(env: Envelope): boolean {
    const p = fields(env);
    if (env.type !== 'MEDIA_MESSAGE_DATA_ACK' && env.type !== 'MEDIA_MESSAGE_COMPLETE') return false;
    const u = this.uploads.get(p.str('mediaId'));
    if (!u) return false;
    if (env.type === 'MEDIA_MESSAGE_DATA_ACK') {
      const index = p.num('chunkIndex');
      u.inFlight.delete(index);
      if (p.code() !== 0) return this.fail(u, p.code()), true;
      u.acked.add(index);
      u.view.done = u.acked.size;
      this.changed(u.view);
      void this.pump(u);
      return true;
    }
    if (p.code() !== 0) return this.fail(u, p.code()), true;
    this.conn.send('MEDIA_MESSAGE_COMPLETE_ACK', { sender: this.me(), receiver: u.receiver, mediaId: u.view.mediaId, code: 0 });
    this.finish(u);
    return true;
  }

  private async announce(u: Upload): Promise<void> {
    u.view.phase = 'uploading';
    this.changed(u.view);
    let reply: Envelope;
    try {
      reply = await this.conn.request('MEDIA_MESSAGE', {
        sender: this.me(),
        receiver: u.receiver,
        mediaId: u.view.mediaId,
        mediaType: u.file.type,
        mediaSize: u.file.size,
      });
    } catch {
      return; // lost with the connection: resumeAll() tries again
    }
    const p = fields(reply);
    if (p.code() === ALREADY_RECEIVED) return this.finish(u);
    if (reply.type !== 'MEDIA_MESSAGE_ACK' || p.code() !== 0) return this.fail(u, p.code(), p.str('message'));
    for (const i of p.numbers('receivedChunks')) u.acked.add(i);
    u.view.done = u.acked.size;
    u.started = true;
    this.changed(u.view);
    await this.pump(u);
  }

  private async pump(u: Upload): Promise<void> {
    while (u.started && u.view.phase === 'uploading' && u.inFlight.size < UPLOAD_WINDOW) {
      const next = this.nextChunk(u);
      if (next === 0) return;
      u.inFlight.add(next);
      const start = (next - 1) * CHUNK_BYTES;
      const bytes = await u.file.read(start, Math.min(u.file.size, start + CHUNK_BYTES));
      if (!u.started) return;
      this.conn.send('MEDIA_MESSAGE_DATA', {
        sender: this.me(),
        receiver: u.receiver,
        mediaId: u.view.mediaId,
        data: encodeBase64(bytes),
        chunkIndex: next,
        totalChunks: u.view.total,
      });
    }
  }

  private nextChunk(u: Upload): number {
    for (let i = 1; i <= u.view.total; i++) if (!u.acked.has(i) && !u.inFlight.has(i)) return i;
    return 0;
  }

  private finish(u: Upload): void {
    u.view.phase = 'sent';
    u.view.done = u.view.total;
    this.uploads.delete(u.view.mediaId);
    this.changed(u.view);
  }

  private fail(u: Upload, code: number, message?: string): void {
    u.view.phase = 'failed';
    u.view.error = describeCode(code, message);
    this.uploads.delete(u.view.mediaId);
    this.changed(u.view);
  }
}

const ALREADY_RECEIVED = 8010;
/** The answer to an offer we do not take (any non-zero code ends the delivery). */
export const DECLINED = 5001;

interface Download {
  view: MediaView;
  uploader: string;
  sha256: string;
  chunks: Map<number, Uint8Array>;
  wanted: boolean; // the person (or the auto-download rule) asked for it
}

export class Downloads {
  private readonly downloads = new Map<string, Download>();

  constructor(
    private readonly conn: Connection,
    private readonly me: () => string,
    private readonly subtle: Digester,
    private readonly changed: (view: MediaView) => void,
  ) {}

  /**
   * An offer (MEDIA_MESSAGE from the node), fresh or repeated after a reconnect. A
   * download already under way resumes at once; `autoAccept` starts a new one.
   */
  offer(env: Envelope, view: MediaView, autoAccept: boolean): void {
    const p = fields(env);
    let d = this.downloads.get(view.mediaId);
    if (!d) {
      d = { view, uploader: p.str('sender'), sha256: p.str('sha256').toLowerCase(), chunks: new Map(), wanted: autoAccept };
      this.downloads.set(view.mediaId, d);
    }
    d.view.total = p.num('totalChunks') || chunkCount(d.view.size);
    if (d.view.phase === 'done') return;
    if (d.wanted) this.accept(d);
    else {
      d.view.phase = 'offered';
      this.changed(d.view);
    }
  }

  /** The person asked for the file. */
  request(mediaId: string): void {
    const d = this.downloads.get(mediaId);
    if (!d || d.view.phase === 'done' || d.view.phase === 'downloading') return;
    d.wanted = true;
    if (this.conn.isOpen) this.accept(d);
  }

  pauseAll(): void {
    for (const d of this.downloads.values()) {
      if (d.view.phase === 'downloading') {
        d.view.phase = 'paused';
        this.changed(d.view);
      }
    }
  }

  /** DATA and COMPLETE_ACK of our downloads; true when the message was one. */
  handle(env: Envelope): boolean {
    if (env.type !== 'MEDIA_MESSAGE_DATA' && env.type !== 'MEDIA_MESSAGE_COMPLETE_ACK') return false;
    const p = fields(env);
    const d = this.downloads.get(p.str('mediaId'));
    if (!d) return false;
    if (env.type === 'MEDIA_MESSAGE_COMPLETE_ACK') {
      if (p.code() !== 0) this.fail(d, describeCode(p.code()));
      return true;
    }
    const index = p.num('chunkIndex');
    const bytes = decodeBase64(p.str('data'));
    if (!bytes || index < 1 || index > d.view.total) {
      this.fail(d, 'The file arrived damaged.');
      return true;
    }
    d.chunks.set(index, bytes);
    this.conn.send('MEDIA_MESSAGE_DATA_ACK', { sender: this.me(), receiver: d.uploader, mediaId: d.view.mediaId, chunkIndex: index, code: 0 });
    d.view.done = d.chunks.size;
    this.changed(d.view);
    if (d.chunks.size === d.view.total) void this.complete(d);
    return true;
  }

  private accept(d: Download): void {
    d.view.phase = 'downloading';
    d.view.done = d.chunks.size;
    this.changed(d.view);
    this.conn.send('MEDIA_MESSAGE_ACK', {
      sender: this.me(),
      receiver: d.uploader,
      mediaId: d.view.mediaId,
      code: 0,
      receivedChunks: [...d.chunks.keys()].sort((a, b) => a - b),
    });
  }

  private async complete(d: Download): Promise<void> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let i = 1; i <= d.view.total; i++) {
      const c = d.chunks.get(i)!;
      parts.push(c);
      size += c.length;
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of parts) {
      all.set(c, at);
      at += c.length;
    }
    const digest = toHex(new Uint8Array(await this.subtle.digest('SHA-256', all)));
    if (size !== d.view.size || (d.sha256 && digest !== d.sha256)) {
      this.fail(d, 'The file arrived damaged (checksum mismatch).');
      return;
    }
    this.conn.send('MEDIA_MESSAGE_COMPLETE', { sender: this.me(), receiver: d.uploader, mediaId: d.view.mediaId, code: 0 });
    d.chunks.clear();
    d.view.blob = new Blob([all], { type: d.view.type || 'application/octet-stream' });
    d.view.phase = 'done';
    this.changed(d.view);
  }

  private fail(d: Download, error: string): void {
    d.view.phase = 'failed';
    d.view.error = error;
    d.chunks.clear();
    this.changed(d.view);
  }
}
