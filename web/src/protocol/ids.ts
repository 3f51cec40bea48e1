// Ids of the protocol as the client handles them: message ids (decimal strings that grow
// in the order the node stored messages), group ids, and media ids that carry the file name.

/** Orders two decimal message ids numerically (they may exceed 2^53). */
export function compareMessageIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxMessageId(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareMessageIds(a, b) >= 0 ? a : b;
}

export function isGroupId(id: string): boolean {
  return id.startsWith('#');
}

/** "bob@beta.example" -> "bob"; group ids and bare names come back as they are. */
export function userName(id: string): string {
  const at = id.indexOf('@');
  return at <= 0 || isGroupId(id) ? id : id.slice(0, at);
}

export function domainOf(id: string): string {
  const at = id.lastIndexOf('@');
  return at < 0 ? '' : id.slice(at + 1);
}

/** What a person typed as a user ("Bob", " bob@Beta.Example ") in the protocol's form. */
export function normalizeUserInput(text: string): string {
  return text.trim().toLowerCase();
}

/** A full id for `text` (bare names are users of `domain`). */
export function fullUserId(text: string, domain: string): string {
  const t = normalizeUserInput(text);
  return t.includes('@') || !domain ? t : `${t}@${domain}`;
}

const NAME_CHARS = /[^A-Za-z0-9._-]/g;
const RANDOM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const MEDIA_RANDOM_CHARS = 16;
const MAX_NAME_CHARS = 100;

/**
 * A media id unique on the node that also carries the file's name for the recipients (the
 * protocol has no name field): `<16 random>.<name>`, the name reduced to [A-Za-z0-9._-]
 * (media ids allow [A-Za-z0-9._~-]; "~" is left out because a receiving node may append
 * "~<random>" when the id is taken there).
 */
export function makeMediaId(fileName: string, randomBytes: Uint8Array): string {
  let random = '';
  for (let i = 0; i < MEDIA_RANDOM_CHARS; i++) random += RANDOM_ALPHABET[randomBytes[i]! % RANDOM_ALPHABET.length];
  const name = fileName.replace(NAME_CHARS, '_').replace(/^[._]+/, '').slice(-MAX_NAME_CHARS) || 'file';
  return `${random}.${name}`;
}

/** The file name in a media id made by makeMediaId (other clients' ids come back whole). */
export function mediaName(mediaId: string): string {
  const withoutRename = mediaId.replace(/~[^~]*$/, '');
  const m = /^[A-Za-z0-9]{16}\.(.+)$/.exec(withoutRename);
  return m ? m[1]! : withoutRename;
}
