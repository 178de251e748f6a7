import { describe, expect, it } from "vitest";
import { FrameScanner, acceptKey, closeCode, closeFrame, type FrameHeader } from "@/lib/workspace/ws-frames";

function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? false;
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  h[0] = (fin ? 0x80 : 0) | opcode;
  h[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) h.writeUInt16BE(len, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([h, payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  key.copy(h, 2 + ext);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([h, body]);
}

function feed(s: FrameScanner, data: Buffer, step: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += step) {
    const chunk = data.subarray(i, i + step);
    const n = s.scan(chunk);
    if (s.flush) out.push(s.flush);
    out.push(chunk.subarray(0, n));
  }
  return Buffer.concat(out);
}

describe("FrameScanner", () => {
  const stream = Buffer.concat([
    frame(1, Buffer.from("hello")),
    frame(2, Buffer.alloc(300, 7), { fin: false, mask: true }),
    frame(9, Buffer.from("p"), { mask: true }),
    frame(0, Buffer.alloc(70000, 1), { mask: true }),
    frame(8, Buffer.from([0x03, 0xf1, 0x61])),
  ]);

  for (const step of [1, 2, 3, 7, 13, 1000, stream.length]) {
    it(`reads every header and forwards every byte in ${step}-byte chunks`, () => {
      const seen: FrameHeader[] = [];
      const controls: [number, string][] = [];
      const s = new FrameScanner(
        (h) => (seen.push({ ...h }), true), // the header object is reused: copy it
        (op, p) => controls.push([op, p.toString("hex")]),
      );
      expect(feed(s, stream, step).equals(stream)).toBe(true);
      expect(seen.map((h) => [h.opcode, h.fin, h.masked, h.length, h.messageBytes])).toEqual([
        [1, true, false, 5, 5],
        [2, false, true, 300, 300],
        [9, true, true, 1, 0],
        [0, true, true, 70000, 70300],
        [8, true, false, 3, 0],
      ]);
      expect(controls).toEqual([
        [9, Buffer.from("p").toString("hex")],
        [8, "03f161"],
      ]);
      expect(s.atBoundary).toBe(true);
    });
  }

  it("stops forwarding right before a refused frame, even when its header was split", () => {
    const first = frame(1, Buffer.from("ok"));
    const data = Buffer.concat([first, frame(8, Buffer.from([0x0f, 0xa4]))]);
    for (const step of [1, 2, 3, data.length]) {
      let code = 0;
      const s = new FrameScanner(
        (h) => h.opcode !== 8,
        (op, p) => (code = closeCode(p)),
      );
      expect(feed(s, data, step).equals(first)).toBe(true);
      expect(code).toBe(4004);
      expect(s.forwarding).toBe(false);
      expect(s.atBoundary).toBe(true);
    }
  });

  it("knows when the forwarded bytes end mid-frame", () => {
    const s = new FrameScanner(() => true);
    const f = frame(2, Buffer.alloc(1000));
    expect(s.scan(f.subarray(0, 500))).toBe(500);
    expect(s.atBoundary).toBe(false);
    expect(s.scan(f.subarray(500))).toBe(f.length - 500);
    expect(s.atBoundary).toBe(true);
  });

  it("hands each callback the scanner's context, so one function can serve every connection", () => {
    const ctx = { frames: 0, controls: 0 };
    const s = new FrameScanner<typeof ctx>(
      (_h, c) => (c.frames++, true),
      (_op, _p, c) => c.controls++,
      ctx,
    );
    s.scan(Buffer.concat([frame(1, Buffer.from("a")), frame(9, Buffer.from("p"))]));
    expect(ctx).toEqual({ frames: 2, controls: 1 });
  });

  it("reports 64-bit lengths beyond a cap without reading the payload", () => {
    const h = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
    let len = 0;
    const s = new FrameScanner((f) => ((len = f.messageBytes), false));
    expect(s.scan(h)).toBe(0);
    expect(len).toBe(2 ** 32);
  });
});

describe("closeFrame", () => {
  it("builds an unmasked close frame with code and reason", () => {
    const f = closeFrame(4401, "session ended");
    expect(f[0]).toBe(0x88);
    expect(f[1]).toBe(2 + "session ended".length);
    expect(f.readUInt16BE(2)).toBe(4401);
    expect(f.subarray(4).toString()).toBe("session ended");
    expect(closeFrame(1000, "x".repeat(300)).length).toBe(4 + 123);
  });
});

describe("acceptKey", () => {
  it("answers the RFC 6455 sample key with the RFC's accept value", () => {
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
});
