// Ids and the conversation model: message id order beyond 2^53, media ids that carry the
// file name (and survive a receiving node's "~<random>" rename), items kept in order as
// history pages, live messages and our pending ones arrive, unread counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareMessageIds, makeMediaId, mediaName, MEDIA_RANDOM_CHARS } from '../../../web/src/protocol/ids';
import { countUnread, Model, upsertItem, type ChatItem } from '../../../web/src/protocol/model';

test('message ids order as numbers, also past 2^53', () => {
  assert.ok(compareMessageIds('9', '10') < 0);
  assert.ok(compareMessageIds('9007199254740993', '9007199254740992') > 0);
  assert.equal(compareMessageIds('42', '42'), 0);
});

test('a media id is unique-looking, valid for the protocol, and gives the name back', () => {
  const random = new Uint8Array(16).map((_, i) => i * 17);
  for (const [file, name] of [
    ['holiday.png', 'holiday.png'],
    ['my photo (1).JPG', 'my_photo__1_.JPG'],
    ['résumé ✓.pdf', 'r_sum___.pdf'],
    ['.hidden', 'hidden'],
    ['~tilde~.txt', 'tilde_.txt'],
    ['', 'file'],
  ] as const) {
    const id = makeMediaId(file, random);
    assert.match(id, /^[A-Za-z0-9._-]{1,128}$/, id);
    assert.equal(id.length, Math.min(id.length, 128));
    assert.equal(id.slice(0, MEDIA_RANDOM_CHARS).length, 16);
    assert.equal(mediaName(id), name, file);
    assert.equal(mediaName(`${id}~k3j9`), name, 'renamed by a receiving node');
  }
  assert.ok(makeMediaId('x'.repeat(500), random).length <= 128);
  assert.equal(mediaName('someone-elses-id'), 'someone-elses-id');
});

function msg(id: string | undefined, extra: Partial<ChatItem> = {}): ChatItem {
  const item: ChatItem = { key: id ? `m${id}` : `l${Math.random()}`, sender: 'bob@x', content: `c${id}`, timestamp: Number(id ?? 0), outgoing: false, ...extra };
  if (id) item.messageId = id;
  return item;
}

test('items keep the node\'s order: older pages before, new ones after, ours waiting last', () => {
  const conv = new Model().conversation('bob@x', 'direct');
  upsertItem(conv, msg('20'));
  upsertItem(conv, msg('30'));
  upsertItem(conv, { ...msg(undefined, { outgoing: true, delivery: 'sending', localId: 'a', content: 'mine' }) });
  upsertItem(conv, msg('10')); // an older page
  upsertItem(conv, msg('25')); // catch-up of something in between
  upsertItem(conv, msg('40')); // live, while ours still waits for its ack
  upsertItem(conv, msg('30', { content: 'again' })); // a duplicate (inbox and history)
  assert.deepEqual(conv.items.map((i) => i.messageId ?? i.content), ['10', '20', '25', '30', '40', 'mine']);
  assert.equal(conv.items.find((i) => i.messageId === '30')!.content, 'c30');
  assert.equal(conv.lastActivity, 40);
});

test('unread: messages of others after the read marker', () => {
  const conv = new Model().conversation('bob@x', 'direct');
  for (const id of ['1', '2', '3']) upsertItem(conv, msg(id));
  upsertItem(conv, msg('4', { outgoing: true }));
  upsertItem(conv, msg(undefined, { notice: true, content: 'bob joined' }));
  assert.equal(countUnread(conv, undefined), 3);
  assert.equal(countUnread(conv, '1'), 2);
  assert.equal(countUnread(conv, '3'), 0);
});

test('a media item merged with its history entry keeps the transfer state (same object)', () => {
  const conv = new Model().conversation('bob@x', 'direct');
  const live = upsertItem(conv, msg('5', { media: { mediaId: 'm1', name: 'a.png', type: 'image/png', size: 3, phase: 'downloading', done: 1, total: 2 } }));
  const view = live.media!;
  upsertItem(conv, msg('5', { media: { mediaId: 'm1', name: 'a.png', type: 'image/png', size: 3, phase: 'unavailable', done: 0, total: 0 } }));
  assert.equal(conv.items[0]!.media, view);
  assert.equal(view.phase, 'downloading');
});
