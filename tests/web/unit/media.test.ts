// Media transfers of the client core against a scripted node: an upload sends every chunk
// in a bounded window and, after a reconnect, only the chunks the node lacks; a download
// acks each chunk, checks the SHA-256, completes, and resumes after a reconnect.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ChatClient } from '../../../web/src/protocol/client';
import { decodeBase64, encodeBase64 } from '../../../web/src/protocol/base64';
import { CHUNK_BYTES, UPLOAD_WINDOW, type FileSource } from '../../../web/src/protocol/media';
import { MemoryStore } from '../../../web/src/protocol/storage';
import type { Envelope } from '../../../web/src/protocol/types';
import { FakeNode, FakeTimers, flush, subtle, until } from './fakes';

async function loggedIn() {
  const node = new FakeNode();
  const timers = new FakeTimers();
  const client = new ChatClient({
    url: 'wss://alpha.example/ws',
    createSocket: node.createSocket,
    storage: new MemoryStore(),
    subtle,
    randomBytes: (n) => new Uint8Array(n).fill(1),
    timers,
    random: () => 0,
  });
  assert.equal(await client.login('alice', 'pw-alice', true), null);
  await until(() => node.sent('MESSAGE_HISTORY_REQUEST').length > 0, 'the history request after login');
  return { node, timers, client };
}

function source(bytes: Uint8Array, name = 'holiday photo.png', type = 'image/png'): FileSource {
  return { name, type, size: bytes.length, read: async (s, e) => bytes.slice(s, e) };
}

/** Answers the upload as a node would, acking chunks only while `acking` says so. */
function uploadNode(node: FakeNode, received: Set<number>, acking: () => boolean) {
  const chunks = new Map<number, string>();
  node.overrides.set('MEDIA_MESSAGE', (sock, env: Envelope) => {
    const p = env.payload;
    sock.push({ type: 'MEDIA_MESSAGE_ACK', id: env.id!, payload: { sender: p['receiver'], receiver: p['sender'], mediaId: p['mediaId'], code: 0, receivedChunks: [...received] } });
  });
  node.overrides.set('MEDIA_MESSAGE_DATA', (sock, env: Envelope) => {
    const p = env.payload;
    if (acking()) {
      const i = p['chunkIndex'] as number;
      received.add(i);
      chunks.set(i, p['data'] as string);
      sock.push({ type: 'MEDIA_MESSAGE_DATA_ACK', payload: { sender: p['receiver'], receiver: p['sender'], mediaId: p['mediaId'], chunkIndex: i, code: 0 } });
      if (received.size === p['totalChunks']) sock.push({ type: 'MEDIA_MESSAGE_COMPLETE', payload: { sender: p['receiver'], receiver: p['sender'], mediaId: p['mediaId'], code: 0 } });
    }
  });
  return chunks;
}

test('an upload announces the file, keeps at most the window in flight, and completes', async () => {
  const { node, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(CHUNK_BYTES * 10 + 123));
  const received = new Set<number>();
  let ack = false;
  const chunks = uploadNode(node, received, () => ack);
  client.messaging.sendFile('bob@alpha.example', source(bytes));
  await flush();
  const announce = node.sent('MEDIA_MESSAGE')[0]!.payload;
  assert.equal(announce['mediaType'], 'image/png');
  assert.equal(announce['mediaSize'], bytes.length);
  assert.match(String(announce['mediaId']), /^[A-Za-z0-9]{16}\.holiday_photo\.png$/);
  assert.equal(node.sent('MEDIA_MESSAGE_DATA').length, UPLOAD_WINDOW, 'no more than the window without acks');
  ack = true;
  for (const d of node.sent('MEDIA_MESSAGE_DATA')) node.handle(node.socket, d); // the node acks what it holds
  await flush(60);
  const view = client.model.conversations.get('bob@alpha.example')!.items[0]!.media!;
  assert.equal(view.phase, 'sent');
  assert.equal(view.done, 11);
  const whole = Buffer.concat([...Array(11).keys()].map((i) => Buffer.from(decodeBase64(chunks.get(i + 1)!)!)));
  assert.ok(whole.equals(Buffer.from(bytes)));
  assert.equal(node.sent('MEDIA_MESSAGE_COMPLETE_ACK').length, 1);
});

test('an upload cut by a reconnect resumes with only the chunks the node lacks', async () => {
  const { node, timers, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(CHUNK_BYTES * 6));
  const received = new Set<number>();
  let budget = 3; // the node stores three chunks, then the connection breaks
  uploadNode(node, received, () => budget-- > 0);
  client.messaging.sendFile('bob@alpha.example', source(bytes, 'notes.txt', 'text/plain'));
  await flush(60);
  assert.deepEqual([...received].sort(), [1, 2, 3]);
  const view = client.model.conversations.get('bob@alpha.example')!.items[0]!.media!;
  assert.equal(view.done, 3);
  node.socket.drop();
  assert.equal(view.phase, 'paused');
  const before = node.sent('MEDIA_MESSAGE_DATA').length;
  budget = 100;
  timers.advance(1000);
  await flush(60);
  const resent = node.sent('MEDIA_MESSAGE_DATA').slice(before).map((d) => d.payload['chunkIndex']);
  assert.deepEqual(resent.sort(), [4, 5, 6]);
  assert.equal(node.sent('MEDIA_MESSAGE').length, 2, 'the same MEDIA_MESSAGE again after the reconnect');
  assert.equal(view.phase, 'sent');
});

function offer(bytes: Uint8Array, sha = createHash('sha256').update(bytes).digest('hex')): Envelope {
  return {
    type: 'MEDIA_MESSAGE',
    timestamp: 1700000000,
    payload: {
      sender: 'bob@alpha.example', receiver: 'alice@alpha.example', mediaId: 'AAAAAAAAAAAAAAAA.cat.png', mediaType: 'image/png',
      mediaSize: bytes.length, sha256: sha, totalChunks: Math.ceil(bytes.length / CHUNK_BYTES), messageId: '55',
    },
  };
}

function chunk(bytes: Uint8Array, index: number): Envelope {
  const data = encodeBase64(bytes.slice((index - 1) * CHUNK_BYTES, index * CHUNK_BYTES));
  return { type: 'MEDIA_MESSAGE_DATA', payload: { sender: 'bob@alpha.example', receiver: 'alice@alpha.example', mediaId: 'AAAAAAAAAAAAAAAA.cat.png', data, chunkIndex: index, totalChunks: Math.ceil(bytes.length / CHUNK_BYTES) } };
}

test('an offered image is downloaded at once: each chunk acked, the hash checked, COMPLETE sent', async () => {
  const { node, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(CHUNK_BYTES * 2 + 5));
  node.socket.push(offer(bytes));
  await flush();
  assert.deepEqual(node.sent('MEDIA_MESSAGE_ACK')[0]!.payload, {
    sender: 'alice@alpha.example', receiver: 'bob@alpha.example', mediaId: 'AAAAAAAAAAAAAAAA.cat.png', code: 0, receivedChunks: [],
  });
  for (const i of [1, 2, 3]) node.socket.push(chunk(bytes, i));
  await until(() => node.sent('MEDIA_MESSAGE_COMPLETE').length > 0, 'COMPLETE');
  assert.deepEqual(node.sent('MEDIA_MESSAGE_DATA_ACK').map((a) => a.payload['chunkIndex']), [1, 2, 3]);
  assert.equal(node.sent('MEDIA_MESSAGE_COMPLETE').length, 1);
  const item = client.model.conversations.get('bob@alpha.example')!.items[0]!;
  assert.equal(item.messageId, '55');
  assert.equal(item.media!.name, 'cat.png');
  assert.equal(item.media!.phase, 'done');
  assert.ok(Buffer.from(await item.media!.blob!.arrayBuffer()).equals(Buffer.from(bytes)));
});

test('bytes that do not match sha256 are refused: no COMPLETE, the item says so', async () => {
  const { node, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(100));
  node.socket.push(offer(bytes, 'ab'.repeat(32)));
  node.socket.push(chunk(bytes, 1));
  const media = client.model.conversations.get('bob@alpha.example')!.items[0]!.media!;
  await until(() => media.phase === 'failed', 'the refusal');
  assert.equal(node.sent('MEDIA_MESSAGE_COMPLETE').length, 0);
  assert.equal(media.phase, 'failed');
  assert.match(media.error!, /damaged/);
});

test('a download cut by a reconnect resumes: the repeated offer is acked with the chunks held', async () => {
  const { node, timers, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(CHUNK_BYTES * 3));
  node.socket.push(offer(bytes));
  node.socket.push(chunk(bytes, 1));
  node.socket.push(chunk(bytes, 2));
  await flush();
  node.socket.drop();
  const media = client.model.conversations.get('bob@alpha.example')!.items[0]!.media!;
  assert.equal(media.phase, 'paused');
  timers.advance(1000);
  await until(() => node.sent('MESSAGE_HISTORY_REQUEST').length > 1, 'the catch-up after the new login');
  node.socket.push(offer(bytes)); // the node offers it again after the login
  await flush();
  assert.deepEqual(node.sent('MEDIA_MESSAGE_ACK').at(-1)!.payload['receivedChunks'], [1, 2]);
  node.socket.push(chunk(bytes, 3));
  await until(() => media.phase === 'done', 'the resumed download');
  assert.equal(node.sent('MEDIA_MESSAGE_COMPLETE').length, 1);
});

test('other files wait for the person to ask', async () => {
  const { node, client } = await loggedIn();
  const bytes = new Uint8Array(randomBytes(10));
  const o = offer(bytes);
  o.payload['mediaType'] = 'application/pdf';
  node.socket.push(o);
  await flush();
  assert.equal(node.sent('MEDIA_MESSAGE_ACK').length, 0);
  const media = client.model.conversations.get('bob@alpha.example')!.items[0]!.media!;
  assert.equal(media.phase, 'offered');
  client.messaging.download(media.mediaId);
  assert.equal(node.sent('MEDIA_MESSAGE_ACK').length, 1);
});
