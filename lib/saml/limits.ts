import { inflateRawSync } from "node:zlib";
import { samlFail, type SamlFailure } from "./reasons";

/**
 * Size limits applied before anything decodes, inflates or parses a SAML message.
 * A SimpleSAMLphp response is ~10 KB; IdPs that send hundreds of groups reach ~100 KB.
 */
export const SAML_LIMITS = {
  /** HTTP-POST binding: characters of the base64 SAMLResponse/SAMLRequest (≈ 384 KiB of XML). */
  maxPostBase64Chars: 512 * 1024,
  /** HTTP-Redirect binding: characters of the base64 (deflated) parameter; URLs are short anyway. */
  maxRedirectBase64Chars: 16 * 1024,
  /** HTTP-Redirect binding: bytes of XML after inflation (deflate-bomb cap). */
  maxInflatedBytes: 128 * 1024,
} as const;

export type Decoded<T> = { ok: true; value: T } | SamlFailure;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64: the length is checked on the raw input first, then the alphabet; whitespace (line wrapping) is ignored. */
export function decodeBase64Strict(value: string, maxChars: number): Decoded<Buffer> {
  if (typeof value !== "string") return samlFail("malformed", "the SAML parameter is not a string");
  if (value.length > maxChars) return samlFail("too_large", `${value.length} base64 characters, limit ${maxChars}`);
  const compact = value.replace(/[\r\n\t ]+/g, "");
  if (compact.length === 0) return samlFail("malformed", "the SAML parameter is empty");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return samlFail("malformed", "the SAML parameter is not valid base64");
  const buf = Buffer.from(compact, "base64");
  const maxDecoded = Math.floor((maxChars * 3) / 4);
  if (buf.length > maxDecoded) return samlFail("too_large", `${buf.length} decoded bytes, limit ${maxDecoded}`);
  return { ok: true, value: buf };
}

/** Raw DEFLATE (RFC 1951, as the HTTP-Redirect binding uses) with a hard cap on the output size. */
export function inflateRawCapped(input: Buffer, maxOutputBytes: number): Decoded<Buffer> {
  try {
    return { ok: true, value: inflateRawSync(input, { maxOutputLength: maxOutputBytes }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      return samlFail("deflate_bomb", `the message inflates beyond ${maxOutputBytes} bytes`);
    }
    return samlFail("malformed", `the message is not valid raw DEFLATE data (${e.code ?? e.message})`);
  }
}

function toUtf8(buf: Buffer): Decoded<string> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    return samlFail("malformed", "the message is not valid UTF-8");
  }
  return { ok: true, value: text.replace(/^\uFEFF/, "") };
}

/** HTTP-POST binding: base64 → XML text. */
export function decodePostBindingMessage(value: string, maxBase64Chars: number = SAML_LIMITS.maxPostBase64Chars): Decoded<string> {
  const buf = decodeBase64Strict(value, maxBase64Chars);
  return buf.ok ? toUtf8(buf.value) : buf;
}

/** HTTP-Redirect binding (value already URL-decoded, e.g. by URLSearchParams): base64 → inflate (capped) → XML text. */
export function decodeRedirectBindingMessage(
  value: string,
  limits: { maxBase64Chars?: number; maxInflatedBytes?: number } = {},
): Decoded<string> {
  const buf = decodeBase64Strict(value, limits.maxBase64Chars ?? SAML_LIMITS.maxRedirectBase64Chars);
  if (!buf.ok) return buf;
  const inflated = inflateRawCapped(buf.value, limits.maxInflatedBytes ?? SAML_LIMITS.maxInflatedBytes);
  return inflated.ok ? toUtf8(inflated.value) : inflated;
}
