// Entry point: the client core on a real WebSocket to this page's own node (same origin,
// `/ws`), localStorage for the resumption token, WebCrypto for hashes, and the UI on top.
import { ChatClient } from './protocol/client';
import type { SocketLike } from './protocol/connection';
import { App } from './ui/app';

/** The browser's WebSocket behind the core's SocketLike. */
function browserSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const socket: SocketLike = {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = () => socket.onopen?.();
  ws.onmessage = (ev: MessageEvent) => socket.onmessage?.({ data: ev.data });
  ws.onclose = (ev: CloseEvent) => socket.onclose?.({ code: ev.code, reason: ev.reason });
  ws.onerror = () => socket.onerror?.();
  return socket;
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = new ChatClient({
    url: `${scheme}//${location.host}/ws`,
    createSocket: browserSocket,
    storage: window.localStorage,
    subtle: crypto.subtle,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  });
  new App(root, client).start();
}

start();
