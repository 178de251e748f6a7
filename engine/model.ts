/**
 * The calculation model (Pyplan-style): nodes with a title and a JavaScript formula that
 * refers to other nodes by id. Dependencies are found STATICALLY: every identifier token of
 * the formula (strings, template text and comments skipped; property names after `.`/`?.`
 * skipped) that equals a node id is a dependency. This over-approximates (an arrow parameter
 * named like a node counts as a reference) but never misses a reference, whatever branch the
 * formula takes at run time — which is what cache invalidation and cycle detection need.
 *
 * Results are cached per node (errors too) and invalidated downstream when a node changes.
 * Graphs with cycles are rejected by load() and setNode() with the cycle path.
 */
import vm from "node:vm";
import { performance } from "node:perf_hooks";
import { MAX_NODES, NODE_ID_PATTERN, type ErrorCode, type NodeDef, type ResultKind } from "./protocol";
import { STDLIB_NAMES, evaluateFormula, stripStringsAndComments, type SandboxOptions } from "./sandbox";

export interface ModelNode {
  id: string;
  title: string;
  formula: string;
  /** Every identifier the formula mentions (candidate references). */
  refs: ReadonlySet<string>;
}

export interface ModelErrorInfo {
  code: ErrorCode;
  message: string;
  nodeId?: string;
  failedNodeId?: string;
  cycle?: string[];
}

/** Thrown by load()/setNode() for invalid definitions; the model is left unchanged. */
export class ModelError extends Error {
  readonly info: ModelErrorInfo;
  constructor(info: ModelErrorInfo) {
    super(info.message);
    this.name = "ModelError";
    this.info = info;
  }
}

type CacheEntry =
  | { ok: true; value: unknown; kind: ResultKind; nodeComputeMs: number }
  | { ok: false; error: ModelErrorInfo };

export type EvaluateOutcome =
  | {
      ok: true;
      nodeId: string;
      kind: ResultKind;
      /** The value as sent on the wire (tables normalised to {columns, rows}). */
      value: unknown;
      computeMs: number;
      nodeComputeMs: number;
      cached: boolean;
    }
  | { ok: false; error: ModelErrorInfo; computeMs: number };

const RESERVED_WORDS = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await async of arguments eval"
  ).split(" "),
);

let contextGlobals: Set<string> | undefined;
/** Names a node may not take: keywords, the context's built-ins, the stdlib, internals. */
export function reservedNodeIdReason(id: string): string | undefined {
  if (!NODE_ID_PATTERN.test(id)) return "node id must be an identifier (letters, digits, _; max 64 characters)";
  if (RESERVED_WORDS.has(id)) return `"${id}" is a JavaScript keyword`;
  if (id.startsWith("__")) return "node ids may not start with __";
  if ((STDLIB_NAMES as readonly string[]).includes(id)) return `"${id}" is a standard library function`;
  contextGlobals ??= new Set(vm.runInNewContext("Object.getOwnPropertyNames(globalThis)") as string[]);
  if (contextGlobals.has(id)) return `"${id}" is a JavaScript built-in`;
  return undefined;
}

const IDENT = /(?<![\w$])[A-Za-z_$][\w$]*/g;

/** Identifiers a formula mentions, excluding property names (`a.b` → a, `a?.b` → a). */
export function formulaIdentifiers(formula: string): Set<string> {
  const code = stripStringsAndComments(formula);
  const out = new Set<string>();
  for (const m of code.matchAll(IDENT)) {
    const before = code.slice(0, m.index).trimEnd();
    if (before.endsWith(".") && !before.endsWith("...")) continue;
    out.add(m[0]);
  }
  return out;
}

/** Classify a plain-data value and shape it for the wire. */
export function classify(value: unknown): { kind: ResultKind; wire: unknown } {
  if (value === null || typeof value !== "object") return { kind: "scalar", wire: value ?? null };
  if (Array.isArray(value)) {
    const isRecord = (r: unknown): r is Record<string, unknown> => r !== null && typeof r === "object" && !Array.isArray(r);
    if (value.length > 0 && value.every(isRecord)) {
      const columns: string[] = [];
      const seen = new Set<string>();
      for (const row of value) for (const k of Object.keys(row)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
      return { kind: "table", wire: { columns, rows: value.map((row) => columns.map((c) => (c in row ? row[c] : null))) } };
    }
    return { kind: "array", wire: value };
  }
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (
    keys.length === 2 &&
    Array.isArray(o.columns) &&
    o.columns.every((c) => typeof c === "string") &&
    Array.isArray(o.rows) &&
    o.rows.every((r) => Array.isArray(r))
  ) {
    return { kind: "table", wire: { columns: o.columns, rows: o.rows } };
  }
  return { kind: "object", wire: value };
}

export class Model {
  private nodes = new Map<string, ModelNode>();
  private dependentsIndex = new Map<string, Set<string>>();
  private cache = new Map<string, CacheEntry>();

  constructor(private readonly sandboxOptions: SandboxOptions = {}) {}

  get size(): number {
    return this.nodes.size;
  }
  has(id: string): boolean {
    return this.nodes.has(id);
  }
  get(id: string): ModelNode | undefined {
    return this.nodes.get(id);
  }
  list(): ModelNode[] {
    return [...this.nodes.values()];
  }
  isCached(id: string): boolean {
    return this.cache.has(id);
  }

  /** Direct dependencies of a node (node ids its formula references), sorted. */
  dependencies(id: string): string[] {
    return Model.depsIn(this.nodes, id);
  }

  /** Nodes whose formulas reference `id` directly, sorted. */
  dependents(id: string): string[] {
    return [...(this.dependentsIndex.get(id) ?? [])].sort();
  }

  /** `id` followed by everything downstream of it (breadth first). */
  downstream(id: string): string[] {
    const order = [id];
    const seen = new Set(order);
    for (let i = 0; i < order.length; i++) {
      for (const d of this.dependents(order[i]!)) {
        if (!seen.has(d)) {
          seen.add(d);
          order.push(d);
        }
      }
    }
    return order;
  }

  /** Replace the whole model. Throws ModelError (bad_message / cycle); then nothing changes. */
  load(defs: NodeDef[]): void {
    if (defs.length > MAX_NODES) throw new ModelError({ code: "too_large", message: `an app may have at most ${MAX_NODES} nodes` });
    const next = new Map<string, ModelNode>();
    for (const def of defs) {
      if (next.has(def.id)) throw new ModelError({ code: "bad_message", message: `duplicate node id "${def.id}"`, nodeId: def.id });
      next.set(def.id, Model.makeNode(def));
    }
    const cycle = Model.findCycle(next);
    if (cycle) throw Model.cycleError(cycle);
    this.nodes = next;
    this.cache.clear();
    this.rebuildIndex();
  }

  /**
   * Create or change a node. Returns the invalidated node ids (the node itself and everything
   * downstream; empty when only the title changed). Throws ModelError (cycle) and leaves the
   * model unchanged if the new formula would close a cycle.
   */
  setNode(def: NodeDef): { created: boolean; invalidated: string[]; node: ModelNode } {
    const old = this.nodes.get(def.id);
    if (!old && this.nodes.size >= MAX_NODES) throw new ModelError({ code: "too_large", message: `an app may have at most ${MAX_NODES} nodes` });
    const node = Model.makeNode({ ...def, title: def.title ?? old?.title });
    if (old && old.formula === node.formula) {
      this.nodes.set(def.id, node);
      return { created: false, invalidated: [], node };
    }
    const next = new Map(this.nodes);
    next.set(def.id, node);
    const cycle = Model.findCycle(next, def.id);
    if (cycle) throw Model.cycleError(cycle, def.id);
    this.nodes = next;
    this.rebuildIndex();
    const invalidated = this.downstream(def.id);
    for (const id of invalidated) this.cache.delete(id);
    return { created: !old, invalidated, node };
  }

  /** Evaluate a node (and, as needed, its upstream), using and filling the cache. */
  evaluate(id: string): EvaluateOutcome {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 1000) / 1000;
    if (!this.nodes.has(id)) {
      return { ok: false, error: { code: "unknown_node", message: `unknown node "${id}"`, nodeId: id }, computeMs: 0 };
    }
    const wasCached = this.cache.has(id);
    const entry = this.compute(id, new Set());
    if (!entry.ok) return { ok: false, error: { ...entry.error, nodeId: id }, computeMs: ms() };
    const { wire } = classify(entry.value);
    return { ok: true, nodeId: id, kind: entry.kind, value: wire, computeMs: wasCached ? 0 : ms(), nodeComputeMs: entry.nodeComputeMs, cached: wasCached };
  }

  private compute(id: string, visiting: Set<string>): CacheEntry {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const node = this.nodes.get(id);
    if (!node) return { ok: false, error: { code: "unknown_node", message: `unknown node "${id}"`, nodeId: id } };
    if (visiting.has(id)) {
      // Defensive: load()/setNode() reject cycles, so this is not expected.
      const cycle = [...visiting, id];
      return { ok: false, error: { code: "cycle", message: `cycle: ${cycle.join(" → ")}`, nodeId: id, cycle } };
    }
    visiting.add(id);
    const inputs: Record<string, unknown> = {};
    let entry: CacheEntry | undefined;
    for (const dep of this.dependencies(id)) {
      const r = this.compute(dep, visiting);
      if (!r.ok) {
        const failed = r.error.failedNodeId ?? dep;
        const rootEntry = this.cache.get(failed);
        const root = rootEntry && !rootEntry.ok ? rootEntry.error.message : r.error.message;
        entry = {
          ok: false,
          error: {
            code: r.error.code === "cycle" ? "cycle" : "upstream_error",
            message: `node "${id}" depends on node "${failed}" which failed: ${root}`,
            nodeId: id,
            failedNodeId: failed,
            ...(r.error.cycle ? { cycle: r.error.cycle } : {}),
          },
        };
        break;
      }
      inputs[dep] = r.value;
    }
    if (!entry) {
      const out = evaluateFormula(node.formula, inputs, this.sandboxOptions);
      if (out.ok) {
        entry = { ok: true, value: out.value, kind: classify(out.value).kind, nodeComputeMs: out.computeMs };
      } else {
        const label = node.title && node.title !== id ? `node "${id}" (${node.title})` : `node "${id}"`;
        entry = { ok: false, error: { code: out.code, message: `${label} failed: ${out.message}`, nodeId: id, failedNodeId: id } };
      }
    }
    visiting.delete(id);
    this.cache.set(id, entry);
    return entry;
  }

  private rebuildIndex(): void {
    const index = new Map<string, Set<string>>();
    for (const node of this.nodes.values()) {
      for (const dep of Model.depsIn(this.nodes, node.id)) {
        let set = index.get(dep);
        if (!set) index.set(dep, (set = new Set()));
        set.add(node.id);
      }
    }
    this.dependentsIndex = index;
  }

  private static makeNode(def: NodeDef): ModelNode {
    const reason = reservedNodeIdReason(def.id);
    if (reason) throw new ModelError({ code: "bad_message", message: reason, nodeId: def.id });
    if (def.formula.trim() === "") throw new ModelError({ code: "bad_message", message: `node "${def.id}" has an empty formula`, nodeId: def.id });
    return { id: def.id, title: def.title ?? def.id, formula: def.formula, refs: formulaIdentifiers(def.formula) };
  }

  private static depsIn(nodes: ReadonlyMap<string, ModelNode>, id: string): string[] {
    const node = nodes.get(id);
    if (!node) return [];
    return [...node.refs].filter((r) => nodes.has(r)).sort();
  }

  /**
   * Find a cycle (iterative DFS, three colours). Returns the path with the first node repeated
   * at the end (["a", "b", "a"]), or null. With `from`, only cycles reachable from that node.
   */
  static findCycle(nodes: ReadonlyMap<string, ModelNode>, from?: string): string[] | null {
    const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
    const roots = from !== undefined ? [from] : [...nodes.keys()].sort();
    for (const root of roots) {
      if (state.has(root)) continue;
      const stack: { id: string; deps: string[]; i: number }[] = [{ id: root, deps: Model.depsIn(nodes, root), i: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.i >= top.deps.length) {
          state.set(top.id, 2);
          stack.pop();
          continue;
        }
        const next = top.deps[top.i++]!;
        const s = state.get(next);
        if (s === 1) {
          const path = stack.map((f) => f.id);
          return [...path.slice(path.indexOf(next)), next];
        }
        if (s === undefined) {
          state.set(next, 1);
          stack.push({ id: next, deps: Model.depsIn(nodes, next), i: 0 });
        }
      }
    }
    return null;
  }

  private static cycleError(cycle: string[], nodeId?: string): ModelError {
    return new ModelError({
      code: "cycle",
      message: `circular reference: ${cycle.join(" → ")}`,
      cycle,
      ...(nodeId ? { nodeId } : {}),
    });
  }
}
