// The web client's core, without any DOM (STYLE.md "The web client"): the session (register,
// log in with passwordHash or a resumption token, log out), the connection that comes back
// by itself, and after every login the lists, the history catch-up and the resumption of
// unfinished transfers; the account itself (password change, deletion), and a session the
// node's administrator ends. Friends/groups live in social.ts, conversations in messaging.ts.
import { describeCode } from './codes';
import { ADMIN_CLOSE, Connection, type ConnectionState, type SocketFactory, type Timers, browserTimers } from './connection';
import type { ActionResult, ClientContext } from './context';
import { NOT_CONNECTED } from './context';
import type { BackoffPolicy } from './backoff';
import { blobSource } from './media';
import { Messaging } from './messaging';
import { Model, type Topic } from './model';
import { derivePasswordHash, localName, type Digester } from './password_hash';
import { Social } from './social';
import { clearSession, loadSession, saveSession, type KeyValueStore } from './storage';
import { fields, type Envelope, type Status } from './types';

export interface ClientDeps {
  url: string;
  createSocket: SocketFactory;
  storage: KeyValueStore;
  subtle: Digester;
  randomBytes: (n: number) => Uint8Array;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffPolicy;
}

/** logged-out: the login form; resuming: a stored token is being tried; logged-in. */
export type SessionPhase = 'logged-out' | 'resuming' | 'logged-in';

interface Credentials {
  username: string;
  passwordHash?: string; // only in memory, and only until the node gives a token
  token?: string;
  requestToken: boolean;
}

/** Login answers that a later attempt may not get (the old connection not yet gone…). */
const TRANSIENT_LOGIN_CODES = new Set([2002, 2004, 9007, 9008]);
const WRONG_PASSWORD = 2001;
const ACCOUNT_LOCKED = 2005;
export const ADMIN_CLOSED_MESSAGE = 'Your session was closed by the administrator.';
export const ACCOUNT_DELETED_MESSAGE = 'Your account has been deleted.';
/** A token with less life left than this is swapped for a fresh one at the next login. */
const TOKEN_RENEW_SECONDS = 7 * 24 * 3600;
const WATCHED_LIMIT = 200;

export class ChatClient implements ClientContext {
  readonly model = new Model();
  readonly conn: Connection;
  readonly social: Social;
  readonly messaging: Messaging;
  session: SessionPhase = 'logged-out';
  /** Why the last session ended or could not start (shown on the login form). */
  sessionMessage = '';
  /** Why the connection is not up although the page is logged in (shown with its state). */
  connectionNote = '';

  private credentials: Credentials | null = null;
  private loggedInOnce = false;
  private loginWaiter: { resolve: (error: string | null) => void } | null = null;
  private readonly listeners = new Set<(topics: Set<Topic>) => void>();
  private dirty = new Set<Topic>();
  private flushQueued = false;
  private readonly watched = new Map<string, (message: string, code: number) => void>();
  private nextWatched = 1;
  private readonly timers: Timers;

  constructor(private readonly deps: ClientDeps) {
    this.timers = deps.timers ?? browserTimers;
    const options: ConstructorParameters<typeof Connection>[0] = { url: deps.url, createSocket: deps.createSocket, timers: this.timers };
    if (deps.random) options.random = deps.random;
    if (deps.backoff) options.backoff = deps.backoff;
    this.conn = new Connection(options);
    this.social = new Social(this);
    this.messaging = new Messaging(this, deps.storage, deps.subtle, deps.randomBytes, this.timers);
    this.conn.onOpen = () => void this.authenticate();
    this.conn.onMessage = (m) => this.dispatch(m);
    this.conn.onClose = (code) => this.connectionLost(code);
    this.conn.onState = (s) => this.connectionState(s);
  }

  // ---- ClientContext ----

  me(): string {
    return this.model.me;
  }

  touch(...topics: Topic[]): void {
    for (const t of topics) this.dirty.add(t);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const topicsNow = this.dirty;
      this.dirty = new Set();
      for (const l of this.listeners) l(topicsNow);
    });
  }

  notice(text: string, kind: 'info' | 'error' = 'info'): void {
    this.model.addNotice(text, kind);
    this.touch('notices');
  }

  sendWatched(type: string, payload: Record<string, unknown>, onError: (message: string, code: number) => void): boolean {
    const id = 'w' + this.nextWatched++;
    if (!this.conn.send(type, payload, id)) return false;
    this.watched.set(id, onError);
    if (this.watched.size > WATCHED_LIMIT) this.watched.delete(this.watched.keys().next().value as string);
    return true;
  }

  subscribe(listener: (topics: Set<Topic>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- session ----

  /** At page load: logs in again with a stored token, if there is one. */
  resume(): boolean {
    const stored = loadSession(this.deps.storage, this.nowSeconds());
    if (!stored) return false;
    this.model.me = stored.user;
    this.credentials = { username: stored.user, token: stored.token, requestToken: stored.expires - this.nowSeconds() < TOKEN_RENEW_SECONDS };
    this.messaging.loadReadMarkers();
    this.setSession('resuming');
    this.conn.start();
    return true;
  }

  /** Logs in with what the person typed; `remember` keeps a token (not the password). */
  async login(username: string, password: string, remember: boolean): ActionResult {
    const name = username.trim();
    if (!name || !password) return 'Enter your username and password.';
    const passwordHash = await derivePasswordHash(this.deps.subtle, name, password);
    this.credentials = { username: name.toLowerCase(), passwordHash, requestToken: remember };
    this.sessionMessage = '';
    this.model.me = name.toLowerCase();
    return this.startLogin();
  }

  /** Registers, then logs in with the same name and password. */
  async register(username: string, password: string, remember: boolean): ActionResult {
    const name = username.trim();
    if (!name || !password) return 'Choose a username and a password.';
    if (!/^[a-z0-9._-]{1,64}$/i.test(localName(name))) return 'A username is 1 to 64 letters, digits, dots, dashes or underscores.';
    const passwordHash = await derivePasswordHash(this.deps.subtle, name, password);
    const opened = await this.openForAccount();
    if (opened) {
      this.conn.stop();
      return opened;
    }
    let reply: Envelope;
    try {
      reply = await this.conn.request('REGISTER_REQUEST', { username: name.toLowerCase(), passwordHash });
    } catch {
      this.conn.stop();
      return 'Could not reach the server.';
    }
    const code = fields(reply).code();
    this.conn.stop();
    if (code !== 0) return describeCode(code, fields(reply).str('message'));
    return this.login(name, password, remember);
  }

  /** Ends the session: USER_LOGOUT (the node revokes the token), then forget everything. */
  logout(): void {
    if (this.conn.isOpen && this.session === 'logged-in') this.conn.send('USER_LOGOUT', { username: this.me() });
    this.endSession('');
  }

  /**
   * PASSWORD_CHANGE_REQUEST: both hashes derived as at login. The node keeps this
   * connection's token valid (protocol.md §5), so the stored session stays as it is; a page
   * without a token keeps the new passwordHash for its reconnects instead of the old one.
   */
  async changePassword(current: string, next: string): ActionResult {
    if (!current || !next) return 'Enter your current password and a new one.';
    if (this.session !== 'logged-in' || !this.conn.isOpen) return NOT_CONNECTED;
    const passwordHash = await derivePasswordHash(this.deps.subtle, this.me(), current);
    const newPasswordHash = await derivePasswordHash(this.deps.subtle, this.me(), next);
    let reply: Envelope;
    try {
      reply = await this.conn.request('PASSWORD_CHANGE_REQUEST', { username: this.me(), passwordHash, newPasswordHash });
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    const code = p.code();
    if (reply.type === 'PASSWORD_CHANGE_RESPONSE' && code === 0) {
      if (this.credentials?.passwordHash !== undefined) this.credentials.passwordHash = newPasswordHash;
      return null;
    }
    return code === WRONG_PASSWORD ? 'Wrong current password: the password was not changed.' : describeCode(code, p.str('message'));
  }

  /**
   * ACCOUNT_DELETE_REQUEST with the password; on success the node closes the connection and
   * the page forgets the session and this user's read markers (the name is free again).
   */
  async deleteAccount(password: string): ActionResult {
    if (!password) return 'Enter your password.';
    if (this.session !== 'logged-in' || !this.conn.isOpen) return NOT_CONNECTED;
    const passwordHash = await derivePasswordHash(this.deps.subtle, this.me(), password);
    let reply: Envelope;
    try {
      reply = await this.conn.request('ACCOUNT_DELETE_REQUEST', { username: this.me(), passwordHash });
    } catch {
      return NOT_CONNECTED;
    }
    const p = fields(reply);
    const code = p.code();
    if (reply.type === 'ACCOUNT_DELETE_RESPONSE' && code === 0) {
      this.messaging.forgetReadMarkers();
      this.endSession(ACCOUNT_DELETED_MESSAGE);
      return null;
    }
    return code === WRONG_PASSWORD ? 'Wrong password: the account was not deleted.' : describeCode(code, p.str('message'));
  }

  private startLogin(): ActionResult {
    return new Promise((resolve) => {
      this.loginWaiter = { resolve };
      this.conn.stop();
      this.conn.start();
    });
  }

  /** A connection for REGISTER_REQUEST only: opened, or why not. */
  private openForAccount(): Promise<string | null> {
    return new Promise((resolve) => {
      const stop = this.subscribe(() => {
        const s = this.conn.state;
        if (s.phase === 'open') finish(null);
        if (s.phase === 'waiting') {
          this.conn.onOpen = () => void this.authenticate();
          finish('Could not reach the server.');
        }
      });
      const finish = (r: string | null) => {
        stop();
        resolve(r);
      };
      this.conn.onOpen = () => {
        this.conn.onOpen = () => void this.authenticate();
        finish(null);
      };
      this.conn.stop();
      this.conn.start();
    });
  }

  private async authenticate(): Promise<void> {
    const cred = this.credentials;
    if (!cred) return this.conn.stop();
    const payload: Record<string, unknown> = { username: cred.username };
    if (cred.token) payload['token'] = cred.token;
    else payload['passwordHash'] = cred.passwordHash;
    if (cred.requestToken) payload['requestToken'] = true;
    let reply: Envelope;
    try {
      reply = await this.conn.request('LOGIN_REQUEST', payload);
    } catch {
      return; // the connection went; it comes back and we try again
    }
    const p = fields(reply);
    const code = p.code();
    if (reply.type === 'LOGIN_RESPONSE' && code === 0) return this.loggedIn(cred, p.optStr('token'), p.optNum('tokenExpires'));
    const message = describeCode(code, p.str('message'));
    if (this.loginWaiter || code === ACCOUNT_LOCKED) return this.endSession(message);
    if (TRANSIENT_LOGIN_CODES.has(code)) {
      this.connectionNote = message;
      this.conn.reconnect();
      return;
    }
    // The stored token no longer works (expired, revoked, or the account is gone).
    this.endSession(cred.token ? 'Your session has ended. Please log in again.' : message);
  }

  private async loggedIn(cred: Credentials, token: string | undefined, expires: number | undefined): Promise<void> {
    this.conn.markHealthy();
    this.connectionNote = '';
    const first = !this.loggedInOnce;
    this.loggedInOnce = true;
    if (token) {
      cred.token = token;
      delete cred.passwordHash; // from now on the token logs in again, not the password
      cred.requestToken = false;
    }
    try {
      await this.social.loadFriends();
      if (first) this.messaging.loadReadMarkers();
      if (token) saveSession(this.deps.storage, { user: this.me(), token, expires: expires ?? this.nowSeconds() + TOKEN_RENEW_SECONDS });
      this.setSession('logged-in');
      this.resolveLogin(null);
      await this.social.loadGroups();
      if (first) await this.messaging.loadRecent();
      else await this.messaging.catchUp();
      this.messaging.flushOutbox();
      this.messaging.uploads.resumeAll();
      if (this.model.myStatus !== 'online') this.social.setStatus(this.model.myStatus);
    } catch {
      /* the connection went meanwhile: the next login does it all again */
    }
  }

  private endSession(message: string): void {
    this.conn.stop();
    clearSession(this.deps.storage);
    this.credentials = null;
    this.loggedInOnce = false;
    this.connectionNote = '';
    this.sessionMessage = message;
    this.model.reset();
    this.messaging.reset();
    this.setSession('logged-out');
    this.resolveLogin(message || 'Logged out.');
  }

  private resolveLogin(error: string | null): void {
    const w = this.loginWaiter;
    this.loginWaiter = null;
    w?.resolve(error);
  }

  private setSession(phase: SessionPhase): void {
    this.session = phase;
    this.touch('session', 'connection');
  }

  // ---- connection ----

  private connectionState(s: ConnectionState): void {
    // A first login that cannot reach the node says so instead of retrying forever.
    if (s.phase === 'waiting' && this.loginWaiter) {
      const w = this.loginWaiter;
      this.loginWaiter = null;
      this.conn.stop();
      this.credentials = null;
      this.setSession('logged-out');
      w.resolve('Could not reach the server.');
    }
    this.touch('connection');
  }

  private connectionLost(code: number): void {
    this.messaging.history.reset();
    this.messaging.uploads.pauseAll();
    this.messaging.downloads.pauseAll();
    // Ended by the administrator (kick or lock): back to the login form, and no
    // reconnecting until the person logs in again (protocol.md §1).
    if (code === ADMIN_CLOSE) this.endSession(ADMIN_CLOSED_MESSAGE);
    this.touch('connection');
  }

  private dispatch(env: Envelope): void {
    if (env.id !== undefined && this.watched.has(env.id)) {
      const onError = this.watched.get(env.id)!;
      this.watched.delete(env.id);
      if (env.type === 'ERROR') onError(describeCode(fields(env).code(), fields(env).str('message')), fields(env).code());
      return;
    }
    if (this.messaging.handle(env) || this.social.handle(env)) return;
    if (env.type === 'ERROR') {
      const p = fields(env);
      this.notice(`${describeCode(p.code(), p.str('message'))}${p.str('inReplyTo') ? ` (${p.str('inReplyTo')})` : ''}`, 'error');
    }
  }

  // ---- actions the UI offers (thin pass-throughs, so the UI needs only this class) ----

  sendText(convKey: string, text: string): string | null {
    return this.messaging.sendText(convKey, text);
  }

  sendFile(convKey: string, file: Blob, name: string): string | null {
    const preview = file.type.startsWith('image/') ? file : undefined;
    return this.messaging.sendFile(convKey, blobSource(file, name), preview);
  }

  setStatus(status: Status): string | null {
    return this.session === 'logged-in' ? this.social.setStatus(status) : NOT_CONNECTED;
  }

  private nowSeconds(): number {
    return Math.floor(this.timers.now() / 1000);
  }
}
