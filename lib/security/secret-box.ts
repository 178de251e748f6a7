import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { config } from "@/lib/config";

/**
 * Authenticated encryption for small secrets at rest (engine secrets): AES-256-GCM
 * with a key derived from AUTH_SECRET by HKDF-SHA256 (info "atrium engine secrets").
 * Format: "v1.<iv b64url>.<tag b64url>.<ciphertext b64url>".
 */
const INFO = "atrium engine secrets";

export function deriveKey(authSecret: string, info = INFO): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(authSecret, "utf8"), Buffer.alloc(0), Buffer.from(info, "utf8"), 32));
}

let cachedKey: Buffer | undefined;
function key(): Buffer {
  cachedKey ??= deriveKey(config().AUTH_SECRET);
  return cachedKey;
}

export function seal(plaintext: string, k: Buffer = key()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", k, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
}

/** Throws on a wrong key, tampering or a malformed box. */
export function open(box: string, k: Buffer = key()): string {
  const parts = box.split(".");
  if (parts.length !== 4 || parts[0] !== "v1") throw new Error("not a sealed secret");
  const [, iv, tag, ct] = parts as [string, string, string, string];
  const decipher = createDecipheriv("aes-256-gcm", k, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}

/** A fresh engine secret: 32 random bytes, base64url (URL-safe, fits the bearer subprotocol). */
export function newEngineSecret(): string {
  return randomBytes(32).toString("base64url");
}
