// passwordHash as chatnode's clients derive it (docs/protocol.md §5, "passwordHash in our
// clients"; vector: docs/vectors/crypto/password_hash.json): lowercase hex of SHA-256 over
// UTF-8("chatnode-password-v1:" + name + ":" + password), name = the username without any
// "@domain", folded to ASCII lower case. What the person typed never leaves the page.

/** The part of WebCrypto this needs (window.crypto.subtle, or node:crypto's webcrypto.subtle). */
export interface Digester {
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

export const PASSWORD_HASH_PREFIX = 'chatnode-password-v1:';

/** The username's local part, ASCII lower case ("Alice@alpha.example" -> "alice"). */
export function localName(username: string): string {
  const at = username.indexOf('@');
  const name = at < 0 ? username : username.slice(0, at);
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export async function derivePasswordHash(subtle: Digester, username: string, password: string): Promise<string> {
  const text = PASSWORD_HASH_PREFIX + localName(username) + ':' + password;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}
