// Makes the screenshots of docs/web-client.md with realistic content on a real node: a
// laptop (1280×800) and a phone (390×844), and the settings screen on the laptop. Not a
// test; run by hand after a build:
//   CHATNODE_BIN=build/ci/node/chatnode node build/ci/web/npm/tests-out/browser/screenshots.mjs docs/web-client
import path from 'node:path';
import type { Page } from 'playwright-core';
import { World } from './harness';
import { befriend, item, message, messages, open, register, send, sent } from './ui';

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** A small landscape drawn in the page (canvas), as PNG bytes: a photo to share. */
async function landscape(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 420;
    const g = c.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, 300);
    sky.addColorStop(0, '#2b3a8c');
    sky.addColorStop(0.55, '#e9738d');
    sky.addColorStop(1, '#ffd27a');
    g.fillStyle = sky;
    g.fillRect(0, 0, 640, 420);
    g.fillStyle = '#fff3c4';
    g.beginPath();
    g.arc(430, 250, 46, 0, Math.PI * 2);
    g.fill();
    const ridge = (color: string, points: number[][]) => {
      g.fillStyle = color;
      g.beginPath();
      g.moveTo(0, 420);
      for (const [x, y] of points) g.lineTo(x!, y!);
      g.lineTo(640, 420);
      g.fill();
    };
    ridge('#6b4a8a', [[0, 260], [90, 200], [170, 250], [260, 170], [360, 240], [450, 190], [560, 250], [640, 210]]);
    ridge('#3d2f63', [[0, 320], [120, 270], [220, 310], [330, 260], [430, 320], [540, 280], [640, 310]]);
    g.fillStyle = '#1d1a3a';
    g.fillRect(0, 360, 640, 60);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'docs/web-client');
  const world = new World();
  try {
    const node = await world.node('localhost');
    const alice = await world.page(node, LAPTOP);
    const bob = await world.page(node, PHONE);
    const carol = await world.page(node, LAPTOP);
    const dave = await world.page(node, LAPTOP);
    await register(alice, 'alice', 'alice password');
    await register(bob, 'bob', 'bob password');
    await register(carol, 'carol', 'carol password');
    await register(dave, 'dave', 'dave password');
    await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
    await befriend(alice, carol, 'alice@localhost', 'carol@localhost');
    await befriend(alice, dave, 'alice@localhost', 'dave@localhost');

    // A group with some talk in it (Alice has not read the last ones yet).
    await alice.getByRole('button', { name: 'New group' }).click();
    await alice.getByRole('dialog').getByLabel('Group name').fill('Weekend trip');
    await alice.getByRole('dialog').getByLabel('bob@localhost').check();
    await alice.getByRole('dialog').getByLabel('carol@localhost').check();
    await alice.getByRole('dialog').getByRole('button', { name: 'Create group' }).click();
    for (const p of [bob, carol]) await item(p, 'Group invitations', 'Weekend trip').getByRole('button', { name: 'Join' }).click();
    await open(carol, 'Weekend trip', 'Conversations');
    await send(carol, 'Train tickets are booked for 9:40 🚆');
    await send(carol, 'Who brings the tent?');

    await open(dave, 'alice@localhost');
    await send(dave, 'Lunch on Thursday?');

    // The 1:1 conversation shown on both screens.
    await open(alice, 'bob@localhost');
    await open(bob, 'alice@localhost');
    await send(bob, 'Hey Alice! Are you back from the mountains?');
    await message(alice, 'Hey Alice! Are you back from the mountains?').waitFor();
    await send(alice, 'Just got home — it was beautiful up there.');
    await send(alice, 'Here is the view from the last evening:');
    await alice.getByLabel('Attach file').setInputFiles({ name: 'sunset-ridge.png', mimeType: 'image/png', buffer: await landscape(alice) });
    await messages(bob).getByRole('img', { name: 'sunset-ridge.png' }).waitFor();
    await send(bob, 'Wow, what a sunset 😍');
    await send(bob, 'We should all go together in September. I can ask Carol.');
    await message(alice, 'We should all go together in September. I can ask Carol.').waitFor();
    await send(alice, 'Yes! Let’s plan it in the group.');
    await sent(alice, 'Yes! Let’s plan it in the group.');
    await message(bob, 'Yes! Let’s plan it in the group.').waitFor();

    // A friend request waiting for Alice.
    const erin = await world.page(node, LAPTOP);
    await register(erin, 'erin', 'erin password');
    await erin.getByLabel('Add friend').fill('alice');
    await erin.getByRole('button', { name: 'Send friend request' }).click();
    await item(alice, 'Friend requests', 'erin@localhost').waitFor();
    await carol.getByLabel('Status').selectOption('away');
    await item(alice, 'Friends', 'carol@localhost').getByText('Away').waitFor();
    for (const p of [alice, bob]) {
      // Transient notices and notes gone, as a person would see the page a moment later.
      const dismiss = p.getByRole('button', { name: 'Dismiss' });
      for (let i = 0; i < 10 && (await dismiss.count()) > 0; i++) await dismiss.first().click();
      await p.getByText('Friend request sent to').waitFor({ state: 'hidden' }).catch(() => {});
    }
    await alice.waitForTimeout(300); // the last image decode and scroll

    await alice.screenshot({ path: path.join(out, 'laptop.png') });
    await bob.screenshot({ path: path.join(out, 'phone.png') });
    await bob.getByRole('button', { name: 'Back to chats' }).click();
    await bob.screenshot({ path: path.join(out, 'phone-list.png') });

    // Settings on the laptop: someone Alice blocked from their friend request.
    const mallory = await world.page(node, LAPTOP);
    await register(mallory, 'mallory', 'mallory password');
    await mallory.getByLabel('Add friend').fill('alice');
    await mallory.getByRole('button', { name: 'Send friend request' }).click();
    const request = item(alice, 'Friend requests', 'mallory@localhost');
    await request.getByRole('button', { name: 'Block' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Block', exact: true }).click();
    await request.waitFor({ state: 'detached' });
    await alice.getByRole('button', { name: 'Settings' }).click();
    await item(alice, 'Blocked users', 'mallory@localhost').waitFor();
    const dismiss = alice.getByRole('button', { name: 'Dismiss' });
    for (let i = 0; i < 10 && (await dismiss.count()) > 0; i++) await dismiss.first().click();
    await alice.mouse.move(0, 0);
    await alice.screenshot({ path: path.join(out, 'settings.png') });
    console.log(`screenshots in ${out}`);
  } finally {
    await world.close(false);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
