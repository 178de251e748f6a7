import { describe, expect, it } from "vitest";
import { evaluateFormula, stripStringsAndComments, type SandboxOutcome } from "@/engine/sandbox";

const run = (formula: string, inputs: Record<string, unknown> = {}, timeoutMs = 1000) => evaluateFormula(formula, inputs, { timeoutMs });

function expectOk(r: SandboxOutcome): unknown {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.value;
}

/** The formula must not hand back anything from the host: either an error, or plain data that is not the real process. */
function expectNoEscape(formula: string) {
  const r = run(formula);
  if (r.ok) {
    expect(r.value).not.toBe(process);
    expect(JSON.stringify(r.value)).not.toMatch(/"pid"|"versions"|"env"/);
    expect(typeof r.value === "object" && r.value !== null && "pid" in r.value).toBe(false);
  } else {
    expect(r.code).toBe("formula_error");
  }
  return r;
}

describe("sandbox: evaluation", () => {
  it("evaluates expressions with node values and the stdlib", () => {
    expect(expectOk(run("sales * (1 + growth)", { sales: 100, growth: 0.5 }))).toBe(150);
    expect(expectOk(run("range(4)"))).toEqual([0, 1, 2, 3]);
    expect(expectOk(run("range(1, 7, 2)"))).toEqual([1, 3, 5]);
    expect(expectOk(run("sum(xs) + mean(xs) + min(xs) + max(xs) + count(xs)", { xs: [1, 2, 3] }))).toBe(6 + 2 + 1 + 3 + 3);
    expect(expectOk(run("round(3.14159, 2)"))).toBe(3.14);
    expect(expectOk(run("table([{a: 1, b: 2}, {a: 3, c: 4}])"))).toEqual({ columns: ["a", "b", "c"], rows: [[1, 2, null], [3, null, 4]] });
    expect(expectOk(run("col(t, 'b')", { t: [{ a: 1, b: 2 }, { a: 3, b: 5 }] }))).toEqual([2, 5]);
    expect(expectOk(run("zip([1, 2], ['a', 'b'])"))).toEqual([[1, "a"], [2, "b"]]);
    expect(expectOk(run("Math.max(...xs)", { xs: [4, 9] }))).toBe(9);
  });

  it("carries non-finite numbers and converts dates, sets and typed arrays to plain data", () => {
    expect(expectOk(run("[x, 1/0, -1/0]", { x: NaN }))).toEqual([NaN, Infinity, -Infinity]);
    expect(expectOk(run("new Date(0)"))).toBe("1970-01-01T00:00:00.000Z");
    expect(expectOk(run("new Set([1, 2])"))).toEqual([1, 2]);
    expect(expectOk(run("new Float64Array([1.5, 2])"))).toEqual([1.5, 2]);
    expect(expectOk(run("undefined"))).toBeNull();
  });

  it("reports errors as formula_error with the error text", () => {
    const r = run("nope + 1");
    expect(r).toMatchObject({ ok: false, code: "formula_error" });
    expect(!r.ok && r.message).toMatch(/ReferenceError: nope is not defined/);
    expect(run("1 +")).toMatchObject({ ok: false, code: "formula_error", message: expect.stringMatching(/syntax error/) });
    expect(run("(() => { throw 'boom' })()")).toMatchObject({ ok: false, message: expect.stringMatching(/boom/) });
    expect(run("() => 1")).toMatchObject({ ok: false, message: expect.stringMatching(/function/) });
    expect(run("10n")).toMatchObject({ ok: false, message: expect.stringMatching(/BigInt/) });
    expect(run("(() => { const a = {}; a.self = a; return a })()")).toMatchObject({ ok: false, message: expect.stringMatching(/circular/) });
    expect(run("Promise.resolve(1)")).toMatchObject({ ok: false, message: expect.stringMatching(/Promise/) });
  });

  it("does not let a thrown object with hostile getters run outside the budget", () => {
    const t = Date.now();
    const r = run("(() => { throw { get message() { while (true) {} } } })()", {}, 300);
    expect(r.ok).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it("rejects results over the size limit with too_large", () => {
    const r = evaluateFormula("range(100000)", {}, { maxResultBytes: 10_000 });
    expect(r).toMatchObject({ ok: false, code: "too_large" });
  });
});

describe("sandbox: time budget", () => {
  it("interrupts an infinite loop within the budget, and the next evaluation works", () => {
    const t = Date.now();
    const r = run("(() => { while (true) {} })()", {}, 300);
    const took = Date.now() - t;
    expect(r).toMatchObject({ ok: false, code: "timeout" });
    expect(!r.ok && r.message).toMatch(/300 ms/);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500);
    expect(expectOk(run("1 + 1"))).toBe(2);
  });

  it("interrupts runaway microtasks too", () => {
    const r = run("(Promise.resolve().then(function f() { return Promise.resolve().then(f) }), 1)", {}, 300);
    // The synchronous value is fine; the microtask storm is cut off by the same budget.
    expect(r.ok === true || (r.ok === false && r.code === "timeout")).toBe(true);
    expect(expectOk(run("2 + 2"))).toBe(4);
  });

  it("turns huge allocations into errors, not crashes", () => {
    expect(run("range(1e9)")).toMatchObject({ ok: false, code: "formula_error", message: expect.stringMatching(/range\(\) is limited/) });
    expect(run("'x'.repeat(2 ** 30)")).toMatchObject({ ok: false, code: "formula_error", message: expect.stringMatching(/Invalid string length/) });
    expect(run("new ArrayBuffer(2 ** 45).byteLength")).toMatchObject({ ok: false, code: "formula_error" });
    expect(run("new Array(2 ** 32)")).toMatchObject({ ok: false, code: "formula_error" });
  });
});

describe("sandbox: escapes are blocked", () => {
  it("has no require, process, module, Buffer, timers, fetch or blocking/compiling built-ins", () => {
    const names = ["require", "process", "module", "exports", "Buffer", "setTimeout", "setInterval", "setImmediate", "fetch", "global", "Atomics", "SharedArrayBuffer", "WebAssembly", "structuredClone"];
    const r = run(`[${names.map((n) => `typeof ${n}`).join(", ")}]`);
    expect(expectOk(r)).toEqual(names.map(() => "undefined"));
  });

  it("globalThis holds only ECMAScript built-ins and the stdlib", () => {
    const names = expectOk(run("Object.getOwnPropertyNames(globalThis)")) as string[];
    for (const bad of ["process", "require", "Buffer", "console", "fetch", "setTimeout", "queueMicrotask"]) expect(names).not.toContain(bad);
    expect(names).toContain("sum");
  });

  it("this.constructor.constructor does not yield the real process", () => {
    expectNoEscape("this.constructor.constructor('return process')()");
    expectNoEscape("globalThis.constructor.constructor('return process')()");
    expectNoEscape("sum.constructor('return process')()");
    expectNoEscape("(() => {}).constructor('return process')()");
    expectNoEscape("(async () => {}).constructor('return process')()");
    expectNoEscape("Object.getPrototypeOf(function* () {}).constructor('return process')()");
    expectNoEscape("[].constructor.constructor('return this')().process");
    expectNoEscape("xs.constructor.constructor('return process')()");
    const r = run("globalThis.constructor.constructor('return process')()");
    expect(!r.ok && r.message).toMatch(/Code generation from strings disallowed/);
  });

  it("node values are plain data of the sandbox realm", () => {
    const r = run("xs.constructor.constructor('return process')()", { xs: [1, 2] });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/Code generation/) });
    expect(expectOk(run("Object.getPrototypeOf(o) === Object.prototype", { o: { a: 1 } }))).toBe(true);
  });

  it("eval and new Function are disabled", () => {
    expect(run("eval('1 + 1')")).toMatchObject({ ok: false, message: expect.stringMatching(/disallowed/) });
    expect(run("new Function('return 1')()")).toMatchObject({ ok: false, message: expect.stringMatching(/disallowed/) });
  });

  it("import() is not available", () => {
    expect(run("import('node:fs')")).toMatchObject({ ok: false, code: "formula_error", message: expect.stringMatching(/import/) });
    expect(run("import.meta")).toMatchObject({ ok: false, code: "formula_error" });
  });

  it("stack-trace hooks do not expose host frames", () => {
    const r = run(
      "(() => { Error.prepareStackTrace = (e, frames) => frames.map(f => [typeof f.getThis(), typeof f.getFunction()]); return new Error().stack })()",
    );
    if (r.ok) {
      for (const [thisType, fnType] of r.value as string[][]) {
        expect(thisType).not.toBe("object");
        expect(fnType).not.toBe("function");
      }
    }
    expectNoEscape("(() => { try { null.f() } catch (e) { return e.constructor.constructor('return process')() } })()");
  });

  it("breaking out of the expression wrapper gains nothing", () => {
    expectNoEscape("1)); } catch (e) {} return process; (function () { ((1");
    expectNoEscape("arguments.callee.caller");
  });

  it("changes to the sandbox do not leak into the next evaluation", () => {
    expectOk(run("(Array.prototype.evil = 1, Object.prototype.polluted = 2, 0)"));
    expect(expectOk(run("[typeof [].evil, typeof ({}).polluted]"))).toEqual(["undefined", "undefined"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("stripStringsAndComments", () => {
  it("blanks strings, comments and template text but keeps template expressions", () => {
    const out = stripStringsAndComments("a + 'b c' /* d */ + `e ${f} g` // h");
    expect(out).toMatch(/^a \+/);
    expect(out).not.toMatch(/[bcdegh]/);
    expect(out).toContain("f");
  });
});
