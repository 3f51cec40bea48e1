// The right column: one conversation. Its header (who, presence or members), the messages
// with day separators, local times and sent state, media with progress and previews,
// older pages loaded when scrolled to the top, and the composer (text, attach, drop).
import type { ChatClient } from '../protocol/client';
import type { ChatItem, Conversation, MediaView } from '../protocol/model';
import { avatar, h, icon, syncList, type Row } from './dom';
import { confirmDialog, groupInfoDialog } from './dialogs';
import { STATUS_LABELS, dayKey, formatDay, formatSize, formatTime } from './format';

const BACK = 'M15 18l-6-6 6-6';
const CLIP = 'M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9';
const SEND = 'M4 12l16-8-6 16-2.5-6.5L4 12z';
const FILE = 'M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8l-5-5zM14 3v5h5';
const CHECK = 'M5 12.5l4.5 4.5L19 7.5';
const PEOPLE = 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM23 21v-2a4 4 0 0 0-3-3.9M16 3.1a4 4 0 0 1 0 7.8';
const UNFRIEND = 'M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM17 11h6';
const BLOCK = 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM4.93 4.93l14.14 14.14';
/** Within this many pixels of the top, the previous page is fetched. */
const LOAD_OLDER_PX = 80;
/** Within this many pixels of the bottom, new messages keep the view at the bottom. */
const STICK_BOTTOM_PX = 60;

const blobUrls = new WeakMap<Blob, string>();
function urlOf(blob: Blob): string {
  let url = blobUrls.get(blob);
  if (!url) {
    url = URL.createObjectURL(blob);
    blobUrls.set(blob, url);
  }
  return url;
}

export class ConversationView {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly headAvatar: HTMLElement;
  private readonly headActions: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly topNote: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly file: HTMLInputElement;
  private readonly composer: HTMLFormElement;
  private readonly composeError: HTMLElement;
  private readonly dropHint: HTMLElement;
  private key: string | null = null;
  /** Screen readers hear each new message of the open conversation (not history pages). */
  private readonly announcer: HTMLElement;
  private newestIncoming: string | undefined;

  constructor(
    private readonly client: ChatClient,
    back: () => void,
  ) {
    this.title = h('h2', { class: 'conv-title' });
    this.subtitle = h('p', { class: 'conv-sub' });
    this.headAvatar = h('span', { class: 'avatar-wrap' });
    this.headActions = h('div', { class: 'conv-actions' });
    this.topNote = h('p', { class: 'history-note' });
    this.list = h('ol', { class: 'messages', 'aria-label': 'Messages' });
    this.scroller = h('div', { class: 'message-scroll', tabindex: 0, onscroll: () => this.onScroll() }, this.topNote, this.list);
    this.input = h('textarea', {
      'aria-label': 'Message',
      placeholder: 'Write a message…',
      rows: 1,
      onkeydown: (e: Event) => this.onKey(e as KeyboardEvent),
    });
    this.file = h('input', { type: 'file', id: 'attach-file', class: 'sr-only', 'aria-label': 'Attach file', multiple: true, onchange: () => this.attachChosen() });
    this.composeError = h('p', { class: 'form-error compose-error', role: 'alert' });
    this.composer = h(
      'form',
      { class: 'composer', onsubmit: (e: Event) => (e.preventDefault(), this.send()) },
      this.file,
      h('label', { for: 'attach-file', class: 'icon-button attach', title: 'Attach file' }, icon(CLIP)),
      this.input,
      h('button', { type: 'submit', class: 'icon-button primary send', 'aria-label': 'Send', title: 'Send (Enter)' }, icon(SEND)),
    );
    this.dropHint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, 'Drop files to send them');
    this.announcer = h('div', { class: 'sr-only', 'aria-live': 'polite' });
    this.element = h(
      'main',
      { class: 'conversation', 'aria-label': 'Conversation' },
      h(
        'header',
        { class: 'conv-head' },
        h('button', { type: 'button', class: 'icon-button back', 'aria-label': 'Back to chats', onclick: back }, icon(BACK)),
        this.headAvatar,
        h('div', { class: 'conv-head-text' }, this.title, this.subtitle),
        this.headActions,
      ),
      this.scroller,
      this.composeError,
      this.composer,
      this.dropHint,
      this.announcer,
    );
    this.element.addEventListener('dragover', (e) => this.onDrag(e, true));
    this.element.addEventListener('dragleave', (e) => {
      if (e.target === this.element || !this.element.contains(e.relatedTarget as Node)) this.element.classList.remove('dragging');
    });
    this.element.addEventListener('drop', (e) => this.onDrop(e));
  }

  get current(): string | null {
    return this.key;
  }

  show(key: string): void {
    const switched = key !== this.key;
    this.key = key;
    this.client.messaging.conversationFor(key);
    if (switched) {
      this.list.replaceChildren();
      this.composeError.textContent = '';
      this.newestIncoming = undefined;
    }
    this.render(true);
    if (switched) void this.client.messaging.loadInitial(key);
  }

  focusComposer(): void {
    this.input.focus();
  }

  /** Redraws; `toBottom` scrolls to the newest message. */
  render(toBottom = false): void {
    const conv = this.key ? this.client.model.conversations.get(this.key) : undefined;
    if (!this.key || !conv) return;
    this.renderHead(conv);
    const atBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < STICK_BOTTOM_PX;
    const firstBefore = this.list.firstElementChild;
    const heightBefore = this.scroller.scrollHeight;
    const topBefore = this.scroller.scrollTop;
    syncList(this.list, this.rows(conv));
    this.announce(conv, toBottom);
    this.topNote.textContent = conv.loadingOlder ? 'Loading older messages…' : conv.reachedStart && conv.items.length ? 'This is the beginning of the conversation.' : '';
    this.composer.hidden = conv.closed;
    if (toBottom || atBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    else if (firstBefore && this.list.firstElementChild !== firstBefore) {
      // Older messages came in above: keep what the person was reading in place.
      this.scroller.scrollTop = topBefore + (this.scroller.scrollHeight - heightBefore);
    }
  }

  private announce(conv: Conversation, opening: boolean): void {
    let newest: ChatItem | undefined;
    for (const i of conv.items) if (!i.outgoing && !i.notice && i.messageId !== undefined) newest = i;
    const before = this.newestIncoming;
    this.newestIncoming = newest?.messageId;
    if (opening || !newest || before === undefined || newest.messageId === before) return;
    this.announcer.textContent = `${newest.sender}: ${newest.media ? newest.media.name : newest.content}`;
  }

  private renderHead(conv: Conversation): void {
    const m = this.client.model;
    this.title.textContent = conv.title;
    this.headAvatar.replaceChildren(avatar(conv.key, conv.title, conv.kind === 'group' ? 'group' : ''));
    if (conv.kind === 'group') {
      const g = m.groups.get(conv.key);
      this.subtitle.textContent = g ? `${g.members.length} member${g.members.length === 1 ? '' : 's'} · led by ${g.leader}` : 'You are not in this group';
      this.headActions.replaceChildren(
        h('button', { type: 'button', class: 'small-button', 'aria-label': 'Members', title: 'Members', disabled: !g, onclick: () => groupInfoDialog(this.client, conv.key) },
          icon(PEOPLE), h('span', { class: 'label-text' }, 'Members')),
      );
      return;
    }
    const status = m.friends.get(conv.key);
    const blocked = m.blocked.has(conv.key);
    this.subtitle.textContent = blocked ? 'Blocked' : status ? STATUS_LABELS[status]! : 'Not a friend';
    this.subtitle.className = `conv-sub status-text ${status ?? ''}`;
    this.headAvatar.append(h('span', { class: `presence ${status ?? 'none'}` }));
    this.headActions.replaceChildren(
      status
        ? h('button', { type: 'button', class: 'small-button', 'aria-label': 'Remove friend', title: 'Remove friend', onclick: () => void this.removeFriend(conv.key) },
            icon(UNFRIEND), h('span', { class: 'label-text' }, 'Remove friend'))
        : h('span'),
      blocked
        ? h('span')
        : h('button', { type: 'button', class: 'small-button danger-text', 'aria-label': 'Block', title: 'Block', onclick: () => void this.block(conv.key) },
            icon(BLOCK), h('span', { class: 'label-text' }, 'Block')),
    );
  }

  private rows(conv: Conversation): Row[] {
    const rows: Row[] = [];
    let day = '';
    let prevSender = '';
    for (const item of conv.items) {
      const d = dayKey(item.timestamp);
      if (d !== day) {
        day = d;
        prevSender = '';
        const label = formatDay(item.timestamp);
        rows.push({ key: `d${d}`, sig: label, render: () => h('li', { class: 'day', role: 'separator' }, h('span', {}, label)) });
      }
      const continued = prevSender === item.sender && !item.notice;
      prevSender = item.notice ? '' : item.sender;
      rows.push({
        key: item.key,
        sig: this.signature(item, continued),
        render: () => this.renderItem(conv, item, continued),
      });
    }
    return rows;
  }

  private signature(i: ChatItem, continued: boolean): string {
    const m = i.media;
    return [i.content, i.delivery, i.error, i.timestamp, continued, m?.phase, m?.done, m?.total, m?.blob ? 1 : 0, m?.error].join('|');
  }

  private renderItem(conv: Conversation, item: ChatItem, continued: boolean): HTMLElement {
    if (item.notice) return h('li', { class: 'notice' }, h('span', {}, item.content));
    const iso = new Date(item.timestamp * 1000).toISOString();
    const meta = h('span', { class: 'meta' }, h('time', { datetime: iso, title: new Date(item.timestamp * 1000).toLocaleString() }, formatTime(item.timestamp)));
    if (item.outgoing) meta.append(this.delivery(conv, item));
    const showSender = conv.kind === 'group' && !item.outgoing && !continued;
    return h(
      'li',
      { class: `msg ${item.outgoing ? 'out' : 'in'}${continued ? ' continued' : ''}${item.delivery === 'failed' ? ' failed' : ''}` },
      !item.outgoing && conv.kind === 'group' ? (continued ? h('span', { class: 'avatar-space' }) : avatar(item.sender, item.sender)) : null,
      h(
        'div',
        { class: `bubble${item.media ? ' has-media' : ''}` },
        showSender ? h('span', { class: 'sender' }, item.sender) : null,
        item.media ? this.media(item.media, item.outgoing) : h('p', { class: 'text' }, item.content),
        meta,
      ),
    );
  }

  private delivery(conv: Conversation, item: ChatItem): HTMLElement {
    if (item.media) {
      const sent = item.media.phase === 'sent';
      return h('span', { class: `delivery ${sent ? 'sent' : ''}` }, sent ? icon(CHECK, 'tick') : null, sent ? 'Sent' : '');
    }
    if (item.delivery === 'sending') return h('span', { class: 'delivery sending' }, 'Sending…');
    if (item.delivery === 'failed') {
      return h('span', { class: 'delivery failed' }, `Not sent: ${item.error ?? ''} `,
        h('button', { type: 'button', class: 'link', onclick: () => void this.client.messaging.retry(conv.key, item.key) }, 'Retry'));
    }
    return h('span', { class: 'delivery sent', title: 'Stored on the server' }, icon(CHECK, 'tick'), 'Sent');
  }

  private media(m: MediaView, outgoing: boolean): HTMLElement {
    const box = h('div', { class: 'media' });
    const isImage = m.type.startsWith('image/');
    if (m.blob && isImage) {
      const url = urlOf(m.blob);
      box.append(h('a', { href: url, target: '_blank', rel: 'noopener', class: 'preview-link' }, h('img', { src: url, alt: m.name, class: 'preview' })));
    }
    const info = h('div', { class: 'file' }, icon(FILE, 'file-icon'),
      h('div', { class: 'file-text' }, h('span', { class: 'file-name' }, m.name), h('span', { class: 'file-meta' }, `${m.type || 'file'} · ${formatSize(m.size)}`)));
    box.append(info);
    const pct = m.total ? Math.round((m.done / m.total) * 100) : 0;
    const transfer = (label: string) =>
      h('div', { class: 'transfer' }, h('progress', { max: m.total || 1, value: m.done, 'aria-label': `${label} ${m.name}` }), h('span', { class: 'transfer-text' }, `${label} ${pct}%`));
    switch (m.phase) {
      case 'uploading':
        box.append(transfer('Uploading'));
        break;
      case 'downloading':
        box.append(transfer('Downloading'));
        break;
      case 'paused':
        box.append(transfer(outgoing ? 'Upload paused, resumes when reconnected:' : 'Download paused, resumes when reconnected:'));
        break;
      case 'offered':
        info.append(h('button', { type: 'button', class: 'small-button', onclick: () => this.download(m) }, 'Download'));
        break;
      case 'done':
        if (m.blob) info.append(h('a', { href: urlOf(m.blob), download: m.name, class: 'small-button' }, 'Save'));
        break;
      case 'failed':
        box.append(h('p', { class: 'form-error' }, m.error ?? 'The transfer failed.'));
        break;
      case 'unavailable':
        box.append(h('p', { class: 'file-note' }, 'No longer on the server.'));
        break;
      case 'sent':
        break;
    }
    return box;
  }

  private download(m: MediaView): void {
    const error = this.client.messaging.download(m.mediaId);
    if (error) this.client.notice(error, 'error');
  }

  private send(): void {
    if (!this.key) return;
    const error = this.client.sendText(this.key, this.input.value);
    this.composeError.textContent = error ?? '';
    if (!error) {
      this.input.value = '';
      this.scroller.scrollTop = this.scroller.scrollHeight;
    }
    this.input.focus();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  private sendFiles(files: FileList | File[]): void {
    if (!this.key) return;
    for (const f of Array.from(files)) {
      const error = this.client.sendFile(this.key, f, f.name);
      this.composeError.textContent = error ?? '';
    }
    this.render(true);
  }

  private attachChosen(): void {
    if (this.file.files?.length) this.sendFiles(this.file.files);
    this.file.value = '';
  }

  private onDrag(e: DragEvent, over: boolean): void {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    this.element.classList.toggle('dragging', over);
  }

  private onDrop(e: DragEvent): void {
    this.element.classList.remove('dragging');
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    this.sendFiles(e.dataTransfer.files);
  }

  private onScroll(): void {
    if (this.key && this.scroller.scrollTop < LOAD_OLDER_PX) void this.client.messaging.loadOlder(this.key);
  }

  private async block(user: string): Promise<void> {
    if (!(await confirmDialog(`Block ${user}? This ends your friendship; they cannot message you or ask again until you unblock them in Settings.`, 'Block'))) return;
    const error = await this.client.social.block(user);
    if (error) this.client.notice(error, 'error');
  }

  private async removeFriend(user: string): Promise<void> {
    if (!(await confirmDialog(`Remove ${user} from your friends?`, 'Remove friend'))) return;
    const error = await this.client.social.removeFriend(user);
    if (error) this.client.notice(error, 'error');
  }
}
