// A few DOM helpers instead of a framework: build elements, and keep a list's children in
// step with data by key, so unchanged rows (and the focus inside them) stay as they are.

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | null | undefined>;

/** h('button', {class: 'x', onclick: fn, 'aria-label': 'Send'}, 'Send') */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'class') el.className = String(value);
    else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (key === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A small inline icon from path data (decorative: hidden from assistive technology). */
export function icon(path: string, cls = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

export interface Row {
  key: string;
  /** Everything the row shows: a row whose signature did not change is not rebuilt. */
  sig: string;
  render: () => HTMLElement;
}

/** Makes `parent`'s children the rendered rows, in order, reusing unchanged ones. */
export function syncList(parent: HTMLElement, rows: Row[]): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children) as HTMLElement[]) {
    const key = child.dataset['key'];
    if (key !== undefined) existing.set(key, child);
    else child.remove();
  }
  let cursor: Element | null = parent.firstElementChild;
  for (const row of rows) {
    let el = existing.get(row.key);
    if (el && el.dataset['sig'] !== row.sig) {
      const fresh = tagRow(row);
      el.replaceWith(fresh);
      if (cursor === el) cursor = fresh;
      el = fresh;
    } else if (!el) {
      el = tagRow(row);
    }
    existing.delete(row.key);
    if (el === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(el, cursor);
  }
  for (const el of existing.values()) el.remove();
}

function tagRow(row: Row): HTMLElement {
  const el = row.render();
  el.dataset['key'] = row.key;
  el.dataset['sig'] = row.sig;
  return el;
}

/** The colour class of a user's avatar: stable per id. */
export function avatarClass(id: string): string {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return `av-${hash % 8}`;
}

export function avatar(id: string, label: string, extra = ''): HTMLElement {
  const letter = (label.replace(/^#/, '').match(/[\p{L}\p{N}]/u)?.[0] ?? '?').toUpperCase();
  return h('span', { class: `avatar ${avatarClass(id)} ${extra}`.trim(), 'aria-hidden': 'true' }, letter);
}
