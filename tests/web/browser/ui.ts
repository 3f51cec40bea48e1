// Driving the web client the way a person does, by the accessible names the page promises
// (docs/web-client.md "Accessible names"): labels, roles and list items named by user id.
import type { Locator, Page } from 'playwright-core';
import type { ChatNode, World } from './harness';

export async function register(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

export async function login(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

export function list(page: Page, name: string): Locator {
  return page.getByRole('list', { name, exact: true });
}

export function item(page: Page, listName: string, itemName: string): Locator {
  return list(page, listName).getByRole('listitem', { name: itemName, exact: true });
}

export async function befriend(a: Page, b: Page, aId: string, bId: string): Promise<void> {
  await a.getByLabel('Add friend').fill(bId);
  await a.getByRole('button', { name: 'Send friend request' }).click();
  await item(b, 'Friend requests', aId).getByRole('button', { name: 'Accept' }).click();
  await item(a, 'Friends', bId).waitFor();
  await item(b, 'Friends', aId).waitFor();
}

/**
 * The usual start: a node for localhost, alice and bob registered on it in two pages and
 * made friends.
 */
export async function twoFriends(
  world: World,
  alicePassword = 'alice password',
): Promise<{ node: ChatNode; alice: Page; bob: Page }> {
  const node = await world.node('localhost');
  const alice = await world.page(node);
  const bob = await world.page(node);
  await register(alice, 'alice', alicePassword);
  await register(bob, 'bob', 'bob password');
  await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
  return { node, alice, bob };
}

/** Opens the conversation with a friend (from the Friends list) or a group (Conversations). */
export async function open(page: Page, name: string, from: 'Friends' | 'Conversations' = 'Friends'): Promise<void> {
  await item(page, from, name).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

export function messages(page: Page): Locator {
  return list(page, 'Messages');
}

/** The message bubble (list item) holding `text`. */
export function message(page: Page, text: string): Locator {
  return messages(page).getByRole('listitem').filter({ has: page.getByText(text, { exact: true }) });
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

export async function sent(page: Page, text: string): Promise<void> {
  await message(page, text).getByText('Sent').waitFor();
}

export async function connectionIs(page: Page, text: string | RegExp): Promise<void> {
  await page.getByRole('status').filter({ hasText: text }).first().waitFor();
}
