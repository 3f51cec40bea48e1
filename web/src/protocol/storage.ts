// Where the page keeps what survives a reload: the resumption token (never the password nor
// passwordHash) and read markers. localStorage in the browser, a Map in unit tests.

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

/** A login the page may resume: docs/protocol.md §5 "Resumption tokens". */
export interface StoredSession {
  user: string; // full id once known (the name typed until then)
  token: string;
  expires: number; // seconds since the epoch
}

export const SESSION_KEY = 'chatnode.session';

export function loadSession(store: KeyValueStore, nowSeconds: number): StoredSession | null {
  try {
    const raw = store.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as StoredSession;
    if (typeof s.user !== 'string' || typeof s.token !== 'string' || typeof s.expires !== 'number') return null;
    if (s.expires <= nowSeconds) {
      store.removeItem(SESSION_KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(store: KeyValueStore, s: StoredSession): void {
  try {
    store.setItem(SESSION_KEY, JSON.stringify(s));
  } catch {
    /* storage blocked: the session lasts as long as the page */
  }
}

export function clearSession(store: KeyValueStore): void {
  try {
    store.removeItem(SESSION_KEY);
  } catch {
    /* nothing to clear */
  }
}
