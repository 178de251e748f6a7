/**
 * Incremental WebSocket frame-header scanner (RFC 6455 §5.2) for the byte-splicing proxy.
 * It reads only headers — FIN, RSV, opcode, MASK, 7/16/64-bit length, masking key — and
 * skips payload bytes without copying, except control-frame payloads (≤ 125 bytes), which
 * it collects (unmasked) so the proxy can read close codes. It tracks each data message's
 * cumulative size across continuation frames.
 *
 * Forwarding contract: `scan(chunk)` returns how many leading bytes of `chunk` may be
 * forwarded now; when `flush` is set after the call, those bytes (a header that began in an
 * earlier chunk and was held back) must be written first. A header split across chunks is
 * held back until complete, so `onFrame` always runs before any byte of its frame has been
 * forwarded; returning false from it stops forwarding right before that frame (scanning
 * continues so control payloads are still delivered). `atBoundary` says whether the bytes
 * forwarded so far end on a frame boundary — where a frame of one's own may be injected.
 */
import { createHash } from "node:crypto";

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export interface FrameHeader {
  fin: boolean;
  /** RSV1–3 bits (non-zero means an extension we never negotiate). */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Payload length of this frame (may exceed 2^53 only as an imprecise, huge number). */
  length: number;
  /** For data frames: the message's size so far, this frame included. 0 for control frames. */
  messageBytes: number;
}

/**
 * Called for each frame header before any byte of the frame is forwarded. `h` is one object
 * reused for every frame of every scanner (no allocation per frame): read it, don't keep it.
 * `ctx` is what the scanner was built with, so callers can share one function among all
 * connections instead of a closure each.
 */
export type OnFrame<C = undefined> = (h: FrameHeader, ctx: C) => boolean;
export type OnControl<C = undefined> = (opcode: number, payload: Buffer, ctx: C) => void;

/** The one header object handed to every onFrame (scan is synchronous and never re-entered). */
const header: FrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, length: 0, messageBytes: 0 };

function headerSize(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

export class FrameScanner<C = undefined> {
  /** Held-back header bytes to write before this chunk's forwardable bytes (set by scan). */
  flush: Buffer | null = null;
  private hdr: Buffer | null = null;
  private hdrLen = 0;
  private remaining = 0;
  private message = 0;
  private open = true;
  private ctl: Buffer | null = null;
  private ctlLen = 0;
  private ctlOp = 0;
  private ctlMask: Buffer | null = null;

  constructor(
    private readonly onFrame: OnFrame<C>,
    private readonly onControl?: OnControl<C> | null,
    private readonly ctx?: C,
  ) {}

  /** True when everything forwarded so far ends exactly on a frame boundary. */
  get atBoundary(): boolean {
    return !this.open || this.remaining === 0;
  }

  /** False once onFrame has refused a frame. */
  get forwarding(): boolean {
    return this.open;
  }

  scan(buf: Buffer): number {
    this.flush = null;
    const n = buf.length;
    let out = this.open ? -1 : 0;
    let i = 0;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        if (this.ctl) this.collect(buf, i, take);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && this.ctl) this.endControl();
        continue;
      }
      // A frame header starts (or continues, if held) here.
      let src: Buffer;
      let off: number;
      let start: number; // where the header starts in this chunk (-1: in held bytes)
      let held = 0;
      if (this.hdrLen === 0) {
        const avail = n - i;
        const size = avail >= 2 ? headerSize(buf[i + 1]!) : 14;
        if (avail < size) {
          this.hdr ??= Buffer.allocUnsafe(14);
          buf.copy(this.hdr, 0, i, n);
          this.hdrLen = avail;
          if (out === -1) out = i;
          i = n;
          break;
        }
        src = buf;
        off = i;
        start = i;
        i += size;
      } else {
        const hdr = this.hdr!;
        held = this.hdrLen;
        while (this.hdrLen < 2 && i < n) hdr[this.hdrLen++] = buf[i++]!;
        if (this.hdrLen < 2) {
          if (out === -1) out = 0;
          break;
        }
        const size = headerSize(hdr[1]!);
        const take = Math.min(size - this.hdrLen, n - i);
        buf.copy(hdr, this.hdrLen, i, i + take);
        this.hdrLen += take;
        i += take;
        if (this.hdrLen < size) {
          if (out === -1) out = 0;
          break;
        }
        src = hdr;
        off = 0;
        start = -1;
        this.hdrLen = 0;
      }
      const b0 = src[off]!;
      const b1 = src[off + 1]!;
      const len7 = b1 & 0x7f;
      let p = off + 2;
      let length = len7;
      if (len7 === 126) {
        length = src.readUInt16BE(p);
        p += 2;
      } else if (len7 === 127) {
        length = src.readUInt32BE(p) * 4294967296 + src.readUInt32BE(p + 4);
        p += 8;
      }
      const masked = (b1 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (opcode < 8) this.message = opcode === OP_CONTINUATION ? this.message + length : length;
      if (this.open) {
        header.fin = (b0 & 0x80) !== 0;
        header.rsv = b0 & 0x70;
        header.opcode = opcode;
        header.masked = masked;
        header.length = length;
        header.messageBytes = opcode < 8 ? this.message : 0;
        const ok = this.onFrame(header, this.ctx as C);
        if (!ok) {
          this.open = false;
          out = start < 0 ? 0 : start;
        } else if (start < 0) {
          this.flush = Buffer.from(this.hdr!.subarray(0, held));
        }
      }
      this.remaining = length;
      if (opcode >= 8 && length <= 125) {
        this.ctl = Buffer.allocUnsafe(length);
        this.ctlLen = 0;
        this.ctlOp = opcode;
        this.ctlMask = masked ? Buffer.from(src.subarray(p, p + 4)) : null;
        if (length === 0) this.endControl();
      }
    }
    return out === -1 ? n : out;
  }

  private collect(buf: Buffer, at: number, take: number): void {
    const ctl = this.ctl!;
    const mask = this.ctlMask;
    for (let k = 0; k < take; k++) {
      const j = this.ctlLen++;
      ctl[j] = mask ? buf[at + k]! ^ mask[j & 3]! : buf[at + k]!;
    }
  }

  private endControl(): void {
    const payload = this.ctl!;
    this.ctl = null;
    this.ctlMask = null;
    this.onControl?.(this.ctlOp, payload, this.ctx as C);
  }
}

/** An unmasked server → client close frame: code plus a short UTF-8 reason (≤ 123 bytes). */
export function closeFrame(code: number, reason: string): Buffer {
  let r = Buffer.from(reason, "utf8");
  if (r.length > 123) r = r.subarray(0, 123);
  const f = Buffer.allocUnsafe(4 + r.length);
  f[0] = 0x80 | OP_CLOSE;
  f[1] = 2 + r.length;
  f.writeUInt16BE(code, 2);
  r.copy(f, 4);
  return f;
}

/** The close code in a close frame's payload (1005 when it carries none). */
export function closeCode(payload: Buffer): number {
  return payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
}

/** RFC 6455 §1.3: the magic GUID appended to the client's key. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + WS_GUID).digest("base64");
}
