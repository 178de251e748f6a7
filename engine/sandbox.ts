/**
 * Formula sandbox: evaluates one formula in a FRESH `node:vm` context.
 *
 * What the formula sees: the ECMAScript built-ins of the new context (Math, JSON, Array, …
 * minus Atomics, SharedArrayBuffer, WebAssembly and console), the small standard library defined in
 * PRELUDE below, and the values of the nodes it depends on, bound as `const`s.
 * What it does not see: require, process, module, Buffer, timers, fetch, the file system, or
 * any object of the host realm. To keep it that way:
 *   - the contextified global is a null-prototype object (so `globalThis.constructor` is the
 *     context's own Object, not the host's), and nothing else from the host is passed in;
 *   - the standard library is source code compiled INTO the context, never host functions;
 *   - node values go in as a JSON string (a primitive) and are parsed inside the context, and
 *     results come out as a JSON string produced inside the context (plain data both ways);
 *   - `codeGeneration: { strings: false, wasm: false }`, so the context's Function/eval
 *     (reachable through any `.constructor.constructor`) throw instead of compiling code;
 *   - errors are turned into strings inside the context; on the host we only inspect errors
 *     we can prove are host-realm (timeout, compile errors) without running formula code;
 *   - `timeout` interrupts runaway code (microtasks included: microtaskMode "afterEvaluate").
 * This protects the engine process from its formulas. It does NOT make the process driver a
 * tenant boundary: only container drivers isolate tenants from each other.
 */
import vm from "node:vm";
import { performance } from "node:perf_hooks";
import { types as utilTypes } from "node:util";

export interface SandboxOptions {
  /** Time budget for one formula evaluation (default 2000 ms). */
  timeoutMs?: number;
  /** Largest serialised result accepted (default 8 MiB). */
  maxResultBytes?: number;
}

export type SandboxErrorCode = "formula_error" | "timeout" | "too_large";

export type SandboxOutcome =
  | { ok: true; value: unknown; computeMs: number }
  | { ok: false; code: SandboxErrorCode; message: string; computeMs: number };

export const DEFAULT_EVAL_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_RESULT_BYTES = 8 * 1024 * 1024;
/** Largest array the stdlib `range` builds. */
export const MAX_RANGE_LENGTH = 10_000_000;

/** Names defined by the standard library (node ids may not use them). */
export const STDLIB_NAMES = [
  "range",
  "sum",
  "mean",
  "min",
  "max",
  "count",
  "round",
  "table",
  "col",
  "zip",
] as const;

/** Tag used to carry non-JSON numbers (NaN, ±Infinity) through JSON. */
const NUM_TAG = "\u0000atrium:num";

/**
 * Runs once in every fresh context, before the formula. Plain JavaScript, executed in the
 * context realm: everything it creates belongs to the sandbox.
 */
const PRELUDE = String.raw`
"use strict";
(function (g) {
  const NUM_TAG = ${JSON.stringify(NUM_TAG)};
  const MAX_RANGE = ${MAX_RANGE_LENGTH};
  // Remove built-ins that can block the thread past the timeout, compile code, or talk to the inspector.
  for (const name of ["Atomics", "SharedArrayBuffer", "WebAssembly", "console"]) { try { delete g[name]; } catch (e) {} }

  const isNum = (x) => typeof x === "number";
  const toArray = (a, fn) => {
    if (Array.isArray(a)) return a;
    if (ArrayBuffer.isView(a)) return Array.from(a);
    throw new TypeError(fn + "() expects an array");
  };
  const nums = (a, fn) => toArray(a, fn).filter((x) => x !== null && x !== undefined).map((x) => {
    if (!isNum(x)) throw new TypeError(fn + "() expects numbers, got " + typeof x);
    return x;
  });
  const lib = {
    range(a, b, step) {
      let start = 0, end = a;
      if (b !== undefined) { start = a; end = b; }
      step = step === undefined ? 1 : step;
      if (!isNum(start) || !isNum(end) || !isNum(step) || step === 0 || !Number.isFinite(start + end + step))
        throw new TypeError("range() expects finite numbers and a non-zero step");
      const n = Math.max(0, Math.ceil((end - start) / step));
      if (n > MAX_RANGE) throw new RangeError("range() is limited to " + MAX_RANGE + " elements");
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = start + i * step;
      return out;
    },
    sum(a) { let s = 0; for (const x of nums(a, "sum")) s += x; return s; },
    mean(a) { const v = nums(a, "mean"); if (v.length === 0) return NaN; let s = 0; for (const x of v) s += x; return s / v.length; },
    min(a) { const v = nums(a, "min"); return v.length ? v.reduce((m, x) => (x < m ? x : m)) : null; },
    max(a) { const v = nums(a, "max"); return v.length ? v.reduce((m, x) => (x > m ? x : m)) : null; },
    count(a) { return toArray(a, "count").length; },
    round(x, digits) {
      const d = digits === undefined ? 0 : digits;
      const f = Math.pow(10, d);
      const r = (v) => Math.round(v * f) / f;
      return Array.isArray(x) ? x.map(r) : r(x);
    },
    table(rows) {
      if (rows && Array.isArray(rows.columns) && Array.isArray(rows.rows)) return { columns: rows.columns.map(String), rows: rows.rows };
      const list = toArray(rows, "table");
      const columns = [];
      const seen = new Set();
      for (const row of list) {
        if (row === null || typeof row !== "object" || Array.isArray(row)) throw new TypeError("table() expects an array of objects");
        for (const k of Object.keys(row)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
      }
      return { columns, rows: list.map((row) => columns.map((c) => (c in row ? row[c] : null))) };
    },
    col(t, name) {
      const tt = lib.table(t);
      const i = tt.columns.indexOf(String(name));
      if (i < 0) throw new RangeError("no column " + JSON.stringify(String(name)));
      return tt.rows.map((r) => r[i]);
    },
    zip(...arrays) {
      const lists = arrays.map((a) => toArray(a, "zip"));
      const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = lists.map((l) => l[i]);
      return out;
    },
  };

  // --- plain-data conversion (runs inside the context, under the time budget) ---
  function plain(v, depth, seen) {
    if (depth > 64) throw new RangeError("result is nested too deeply");
    switch (typeof v) {
      case "undefined": return null;
      case "boolean": case "string": return v;
      case "number": return Number.isFinite(v) ? v : { [NUM_TAG]: String(v) };
      case "bigint": throw new TypeError("BigInt results are not supported");
      case "symbol": throw new TypeError("symbol results are not supported");
      case "function": throw new TypeError("the formula returned a function, not a value");
    }
    if (v === null) return null;
    if (typeof v.then === "function") {
      try { v.then(undefined, () => {}); } catch (e) {}
      throw new TypeError("the formula returned a Promise; asynchronous formulas are not supported");
    }
    if (seen.has(v)) throw new TypeError("the result contains a circular reference");
    seen.add(v);
    try {
      if (Array.isArray(v)) { const out = new Array(v.length); for (let i = 0; i < v.length; i++) out[i] = plain(v[i], depth + 1, seen); return out; }
      if (ArrayBuffer.isView(v)) return Array.from(v, (x) => plain(x, depth + 1, seen));
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Set) return Array.from(v, (x) => plain(x, depth + 1, seen));
      if (v instanceof Map) { const o = {}; for (const [k, x] of v) o[String(k)] = plain(x, depth + 1, seen); return o; }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new TypeError("results must be plain data (numbers, strings, booleans, arrays, plain objects)");
      const o = {};
      for (const k of Object.keys(v)) o[k] = plain(v[k], depth + 1, seen);
      return o;
    } finally { seen.delete(v); }
  }
  function revive(_k, v) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof v[NUM_TAG] === "string" && Object.keys(v).length === 1) return Number(v[NUM_TAG]);
    return v;
  }
  function describe(e) {
    try {
      if (e instanceof Error) return { name: String(e.name), message: String(e.message) };
      if (e !== null && typeof e === "object") return { name: "Error", message: "formula threw a non-Error object" };
      return { name: "Error", message: "formula threw " + String(e) };
    } catch (x) { return { name: "Error", message: "formula threw an unreadable error" }; }
  }
  const api = Object.freeze({
    input(json) { return JSON.parse(json, revive); },
    ok(v) { return JSON.stringify({ ok: true, v: plain(v, 0, new Set()) }); },
    fail(e) { const d = describe(e); return JSON.stringify({ ok: false, name: d.name.slice(0, 100), message: d.message.slice(0, 2000) }); },
  });
  Object.defineProperty(g, "__atrium", { value: api, writable: false, enumerable: false, configurable: false });
  for (const k of Object.keys(lib)) {
    Object.freeze(lib[k]);
    Object.defineProperty(g, k, { value: lib[k], writable: false, enumerable: true, configurable: false });
  }
})(globalThis);
`;

let preludeScript: vm.Script | undefined;
const formulaScripts = new Map<string, vm.Script>();
const MAX_CACHED_SCRIPTS = 2_000;

/** Host-side JSON encoding of node values, carrying NaN/±Infinity through a tag. */
export function encodeValues(values: Record<string, unknown>): string {
  return JSON.stringify(values, (_k, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? { [NUM_TAG]: String(v) } : v,
  );
}

/** Host-side decoding of a sandbox result (inverse of the context's `plain`). */
function decodeValue(json: string): unknown {
  return JSON.parse(json, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === NUM_TAG && typeof o[NUM_TAG] === "string") return Number(o[NUM_TAG]);
    }
    return v;
  });
}

/**
 * Read an OWN DATA property of a thrown value without running formula code: no getters, no
 * proxy traps, no prototype lookups. Errors raised by V8/Node (vm timeout, compile errors)
 * carry `code` and `message` as own data properties; anything else yields undefined.
 */
function ownString(err: unknown, key: string): string | undefined {
  if (err === null || typeof err !== "object" || utilTypes.isProxy(err)) return undefined;
  const desc = Object.getOwnPropertyDescriptor(err, key);
  return desc && "value" in desc && typeof desc.value === "string" ? desc.value : undefined;
}

function compileFormula(formula: string, depNames: readonly string[]): vm.Script {
  const key = depNames.join(",") + "\u0000" + formula;
  const hit = formulaScripts.get(key);
  if (hit) return hit;
  // Node values are bound as consts; the formula is one expression.
  const bindings = depNames.map((n) => `const ${n} = __in[${JSON.stringify(n)}];`).join(" ");
  const source =
    `(function () { "use strict"; const __in = __atrium.input(__atrium_input); ${bindings}\n` +
    `try { return __atrium.ok((\n${formula}\n)); } catch (__e) { return __atrium.fail(__e); } })()`;
  const script = new vm.Script(source, { filename: "formula.js", lineOffset: -1 });
  if (formulaScripts.size >= MAX_CACHED_SCRIPTS) formulaScripts.clear();
  formulaScripts.set(key, script);
  return script;
}

function newContext(timeoutMs: number): vm.Context {
  const sandbox: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const context = vm.createContext(sandbox, {
    name: "atrium-formula",
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: "afterEvaluate",
  });
  preludeScript ??= new vm.Script(PRELUDE, { filename: "atrium-prelude.js" });
  preludeScript.runInContext(context, { timeout: timeoutMs });
  return context;
}

/**
 * Evaluate `formula` with `inputs` (node id → plain value). Never throws for formula problems:
 * failures come back as { ok: false, code, message }.
 */
export function evaluateFormula(
  formula: string,
  inputs: Record<string, unknown>,
  options: SandboxOptions = {},
): SandboxOutcome {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS;
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  const fail = (code: SandboxErrorCode, message: string): SandboxOutcome => ({ ok: false, code, message, computeMs: elapsed() });

  if (/\bimport\b/.test(stripStringsAndComments(formula))) {
    return fail("formula_error", "import is not available in formulas");
  }
  let script: vm.Script;
  try {
    script = compileFormula(formula, Object.keys(inputs));
  } catch (err) {
    const msg = ownString(err, "message") ?? "the formula does not compile";
    return fail("formula_error", `syntax error: ${msg}`);
  }

  let raw: unknown;
  try {
    const context = newContext(timeoutMs);
    // A primitive string: realm-independent, parsed inside the context.
    (context as Record<string, unknown>).__atrium_input = encodeValues(inputs);
    raw = script.runInContext(context, { timeout: timeoutMs, breakOnSigint: false });
  } catch (err) {
    if (ownString(err, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
      return fail("timeout", `formula interrupted: exceeded the time budget of ${timeoutMs} ms`);
    }
    // Only reached when code ran outside the wrapper's try/catch (e.g. a stack overflow
    // inside the error handler): report without touching the thrown value.
    return fail("formula_error", "the formula failed outside its expression");
  }
  if (typeof raw !== "string") {
    return fail("formula_error", "a formula must be a single expression");
  }
  if (raw.length > maxResultBytes) {
    return fail("too_large", `result is larger than the limit of ${maxResultBytes} bytes`);
  }
  let parsed: { ok?: unknown; v?: unknown; name?: string; message?: string };
  try {
    parsed = decodeValue(raw) as typeof parsed;
  } catch {
    return fail("formula_error", "a formula must be a single expression");
  }
  if (parsed === null || typeof parsed !== "object") return fail("formula_error", "a formula must be a single expression");
  if (parsed.ok === true) return { ok: true, value: parsed.v ?? null, computeMs: elapsed() };
  return fail("formula_error", `${parsed.name ?? "Error"}: ${parsed.message ?? "unknown error"}`);
}

/**
 * Replace string literals, template literal text and comments by spaces, so identifier
 * scanning only sees code. (Good enough for formulas: regex literals are not special-cased;
 * identifiers inside a regex literal are over-approximated as references.)
 */
export function stripStringsAndComments(src: string): string {
  let out = "";
  let i = 0;
  const n = src.length;
  const templateDepth: number[] = []; // brace depth at which each open `${` returns to a template
  let braceDepth = 0;
  const readTemplate = () => {
    // at a position inside template text; consume until ` or ${
    while (i < n) {
      const c = src[i]!;
      if (c === "\\") { out += "  "; i += 2; continue; }
      if (c === "`") { out += "`"; i++; return; }
      if (c === "$" && src[i + 1] === "{") { out += "  "; i += 2; templateDepth.push(braceDepth); braceDepth++; return; }
      out += c === "\n" ? "\n" : " ";
      i++;
    }
  };
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (c === "/" && d === "/") {
      while (i < n && src[i] !== "\n") { out += " "; i++; }
    } else if (c === "/" && d === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'") {
      out += c;
      i++;
      while (i < n && src[i] !== c && src[i] !== "\n") {
        if (src[i] === "\\") { out += " "; i++; }
        out += " ";
        i++;
      }
      if (i < n) { out += src[i]; i++; }
    } else if (c === "`") {
      out += "`";
      i++;
      readTemplate();
    } else if (c === "{") {
      braceDepth++; out += c; i++;
    } else if (c === "}") {
      braceDepth--;
      out += c;
      i++;
      if (templateDepth.length && templateDepth[templateDepth.length - 1] === braceDepth) {
        templateDepth.pop();
        readTemplate();
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
