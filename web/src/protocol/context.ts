// What the parts of the client core share: the model, the connection, who we are, and the
// change notification the UI listens to.
import type { Connection } from './connection';
import type { Model, Topic } from './model';

export interface ClientContext {
  readonly model: Model;
  readonly conn: Connection;
  me(): string;
  /** Marks parts of the model changed; listeners hear of it once per task. */
  touch(...topics: Topic[]): void;
  notice(text: string, kind?: 'info' | 'error'): void;
  /**
   * Sends a request whose success is silent (FRIEND_REQUEST_RESPONSE, GROUP_INVITE_RESPONSE):
   * an ERROR with its id calls `onError`.
   */
  sendWatched(type: string, payload: Record<string, unknown>, onError: (message: string, code: number) => void): boolean;
}

/** Every action resolves to null on success, or to what went wrong, in words. */
export type ActionResult = Promise<string | null>;

export const NOT_CONNECTED = 'Not connected to the server; try again in a moment.';
