// Media in the browser: an image sent into a group (attached with the file input) shows as
// an inline preview for the sender and for both other members, with the very bytes sent; a
// progress bar shows while it moves; a non-image file offered to a friend is downloaded on
// request and saved under its name.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { World } from './harness';
import { noisePixels, noisePng } from './png';
import { befriend, item, message, messages, open, register } from './ui';

/** Counts <progress> elements that appear on the page from now on. */
async function countProgressBars(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { progressSeen: number };
    w.progressSeen = 0;
    new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes) if (n instanceof Element && (n.matches('progress') || n.querySelector('progress'))) w.progressSeen++;
    }).observe(document.body, { childList: true, subtree: true });
  });
}

/** The SHA-256 (hex) of the RGB pixels an <img> of the page shows, read back through a
 *  canvas (the page's CSP rightly forbids fetching its blob: URL). */
async function previewHash(page: Page, alt: string): Promise<string> {
  const img = messages(page).getByRole('img', { name: alt });
  await img.waitFor();
  await page.waitForFunction((a) => {
    const el = [...document.querySelectorAll('img')].find((i) => i.alt === a);
    return !!el && el.complete && el.naturalWidth > 0;
  }, alt);
  const bytes = await img.evaluate(async (el: HTMLImageElement) => {
    const canvas = document.createElement('canvas');
    canvas.width = el.naturalWidth;
    canvas.height = el.naturalHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(el, 0, 0);
    const rgba = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const rgb = new Uint8Array((rgba.length / 4) * 3);
    for (let i = 0, o = 0; i < rgba.length; i += 4) {
      rgb[o++] = rgba[i]!;
      rgb[o++] = rgba[i + 1]!;
      rgb[o++] = rgba[i + 2]!;
    }
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', rgb)));
  });
  return Buffer.from(bytes).toString('hex');
}

test('an image sent to a group is previewed by the others; a file is downloaded on request', { timeout: 180000 }, async () => {
  const world = new World();
  let ok = false;
  try {
    const node = await world.node('localhost');
    const [alice, bob, carol] = [await world.page(node), await world.page(node), await world.page(node)];
    await register(alice, 'alice', 'alice password');
    await register(bob, 'bob', 'bob password');
    await register(carol, 'carol', 'carol password');
    await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
    await befriend(alice, carol, 'alice@localhost', 'carol@localhost');
    await alice.getByRole('button', { name: 'New group' }).click();
    await alice.getByRole('dialog').getByLabel('Group name').fill('Photos');
    await alice.getByRole('dialog').getByLabel('bob@localhost').check();
    await alice.getByRole('dialog').getByLabel('carol@localhost').check();
    await alice.getByRole('dialog').getByRole('button', { name: 'Create group' }).click();
    for (const page of [bob, carol]) await item(page, 'Group invitations', 'Photos').getByRole('button', { name: 'Join' }).click();
    await open(alice, 'Photos', 'Conversations');
    await messages(alice).getByText('carol@localhost joined.').waitFor();

    const png = noisePng(180, 160); // ~85 KB: three chunks
    const sha = createHash('sha256').update(noisePixels(180, 160)).digest('hex');
    await countProgressBars(alice);
    await alice.getByLabel('Attach file').setInputFiles({ name: 'beach.png', mimeType: 'image/png', buffer: png });
    await message(alice, '').filter({ hasText: 'beach.png' }).getByText('Sent').waitFor();
    assert.ok(await alice.evaluate(() => (window as unknown as { progressSeen: number }).progressSeen) > 0, 'a progress bar showed');
    assert.equal(await previewHash(alice, 'beach.png'), sha);
    for (const page of [bob, carol]) {
      await open(page, 'Photos', 'Conversations');
      assert.equal(await previewHash(page, 'beach.png'), sha, 'the preview shows the bytes sent');
      await messages(page).getByText(`image/png · ${Math.round(png.length / 1024)} KB`).waitFor();
    }

    // A PDF to Bob waits for him to ask, then is his to save.
    await open(alice, 'bob@localhost');
    const pdf = Buffer.from('%PDF-1.4\n% a tiny test document\n' + 'x'.repeat(50000));
    await alice.getByLabel('Attach file').setInputFiles({ name: 'plan.pdf', mimeType: 'application/pdf', buffer: pdf });
    await message(alice, '').filter({ hasText: 'plan.pdf' }).getByText('Sent').waitFor();
    await open(bob, 'alice@localhost');
    const card = messages(bob).getByRole('listitem').filter({ hasText: 'plan.pdf' });
    await card.getByRole('button', { name: 'Download' }).click();
    const save = card.getByRole('link', { name: 'Save' });
    await save.waitFor();
    assert.equal(await save.getAttribute('download'), 'plan.pdf');
    const [download] = await Promise.all([bob.waitForEvent('download'), save.click()]);
    assert.equal(download.suggestedFilename(), 'plan.pdf');
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    assert.ok(readFileSync(path).equals(pdf), 'the saved file is the one sent');

    // A file dropped on the conversation is sent like an attached one.
    await open(alice, 'bob@localhost');
    await alice.locator('main.conversation').evaluate((el) => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped text'], 'notes.txt', { type: 'text/plain' }));
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await message(alice, '').filter({ hasText: 'notes.txt' }).getByText('Sent').waitFor();
    await messages(bob).getByRole('listitem').filter({ hasText: 'notes.txt' }).getByText('text/plain · 12 B').waitFor();
    ok = true;
  } finally {
    await world.close(!ok);
  }
});
