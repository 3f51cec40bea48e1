// The node restarts under open pages: they show the lost connection and the countdown,
// come back by themselves, log in again and catch up with MESSAGE_HISTORY `after` = the
// last message they saw; a message written meanwhile is sent once the node is back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World } from './harness';
import { connectionIs, message, messages, open, send, sent, twoFriends } from './ui';

test('a node restart: the page reconnects, logs in again and catches up', { timeout: 180000 }, async () => {
  const world = new World();
  let ok = false;
  try {
    const { node, alice, bob } = await twoFriends(world);
    await open(alice, 'bob@localhost');
    await open(bob, 'alice@localhost');
    await send(bob, 'before the restart');
    await message(alice, 'before the restart').waitFor();
    const lastSeen = (await message(alice, 'before the restart').getAttribute('data-key'))!.replace(/^m/, '');

    // Alice's frames both ways, in order: the catch-up must start after the newest message
    // she had seen when she asked (bob's queued message may reach her first, live).
    const frames: { out: boolean; msg: { type: string; payload: Record<string, unknown> } }[] = [];
    alice.on('websocket', (ws) => {
      ws.on('framesent', (f) => frames.push({ out: true, msg: JSON.parse(String(f.payload)) }));
      ws.on('framereceived', (f) => frames.push({ out: false, msg: JSON.parse(String(f.payload)) }));
    });

    await node.stop();
    await connectionIs(alice, /Reconnecting in \d+ s/);
    await connectionIs(bob, /Reconnecting in \d+ s/);
    await send(bob, 'written while the node was down');
    await message(bob, 'written while the node was down').getByText('Sending…').waitFor();

    await node.start();
    await connectionIs(alice, 'Online');
    await connectionIs(bob, 'Online');
    await sent(bob, 'written while the node was down');
    await message(alice, 'written while the node was down').waitFor();

    const at = frames.findIndex((f) => f.out && f.msg.type === 'MESSAGE_HISTORY_REQUEST');
    assert.ok(at >= 0, 'a history request after the new login');
    let newest = Number(lastSeen);
    for (const f of frames.slice(0, at))
      if (!f.out && f.msg.type === 'TEXT_MESSAGE') newest = Math.max(newest, Number(f.msg.payload['messageId']));
    assert.equal(frames[at]!.msg.payload['after'], String(newest), 'catch-up starts after the last message seen');
    assert.ok(frames.slice(0, at).some((f) => f.out && f.msg.type === 'LOGIN_REQUEST'), 'logged in again by itself');

    await send(alice, 'back again');
    await message(bob, 'back again').waitFor();
    assert.deepEqual(await messages(alice).locator('p.text').allTextContents(), ['before the restart', 'written while the node was down', 'back again']);
    ok = true;
  } finally {
    await world.close(!ok);
  }
});
