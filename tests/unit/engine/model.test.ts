import { describe, expect, it } from "vitest";
import { Model, ModelError, classify, formulaIdentifiers, reservedNodeIdReason } from "@/engine/model";
import type { NodeDef } from "@/engine/protocol";

const app: NodeDef[] = [
  { id: "sales", title: "Sales", formula: "range(3).map((i) => 100 + i * 10)" },
  { id: "growth", title: "Growth", formula: "0.1" },
  { id: "forecast", title: "Forecast", formula: "sales.map((s) => s * (1 + growth))" },
  { id: "total", title: "Total", formula: "sum(forecast)" },
  { id: "report", title: "Report", formula: "table(sales.map((s, i) => ({ month: i + 1, sales: s, forecast: forecast[i] })))" },
  { id: "label", formula: "'total: ' + total" },
];

function loaded(defs: NodeDef[] = app): Model {
  const m = new Model({ timeoutMs: 300 });
  m.load(defs);
  return m;
}

function thrown(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelError) return err;
    throw err;
  }
  throw new Error("expected a ModelError");
}

describe("dependencies", () => {
  it("finds referenced node ids, ignoring strings, comments and property names", () => {
    expect([...formulaIdentifiers("a + b.c + 'd' + `${e}` // f\n + g?.h + [...i]")].sort()).toEqual(["a", "b", "e", "g", "i"]);
    expect([...formulaIdentifiers("1e5 + 0xff + x1")]).toEqual(["x1"]);
    const m = loaded();
    expect(m.dependencies("forecast")).toEqual(["growth", "sales"]);
    expect(m.dependencies("total")).toEqual(["forecast"]);
    expect(m.dependencies("sales")).toEqual([]);
    expect(m.dependents("sales")).toEqual(["forecast", "report"]);
    expect(m.downstream("growth")).toEqual(["growth", "forecast", "report", "total", "label"]);
  });

  it("counts a reference in any branch (static over-approximation)", () => {
    const m = loaded([
      { id: "flag", formula: "true" },
      { id: "a", formula: "1" },
      { id: "b", formula: "flag ? 0 : a" },
    ]);
    expect(m.dependencies("b")).toEqual(["a", "flag"]);
  });

  it("rejects reserved or invalid node ids and duplicates", () => {
    expect(reservedNodeIdReason("sales")).toBeUndefined();
    for (const bad of ["if", "sum", "Math", "process1x".slice(0, 0) || "1abc", "__x", "eval", "undefined"]) {
      expect(reservedNodeIdReason(bad)).toBeDefined();
    }
    expect(thrown(() => loaded([{ id: "Math", formula: "1" }])).info.code).toBe("bad_message");
    expect(thrown(() => loaded([{ id: "a", formula: "1" }, { id: "a", formula: "2" }])).info.message).toMatch(/duplicate/);
  });
});

describe("cycles", () => {
  it("load() rejects a cycle and reports its path", () => {
    const err = thrown(() =>
      loaded([
        { id: "a", formula: "b + 1" },
        { id: "b", formula: "c + 1" },
        { id: "c", formula: "a + 1" },
        { id: "d", formula: "1" },
      ]),
    );
    expect(err.info.code).toBe("cycle");
    expect(err.info.cycle).toEqual(["a", "b", "c", "a"]);
    expect(err.info.message).toBe("circular reference: a → b → c → a");
  });

  it("detects self-references", () => {
    expect(thrown(() => loaded([{ id: "a", formula: "a + 1" }])).info.cycle).toEqual(["a", "a"]);
  });

  it("setNode() refuses to close a cycle and leaves the model (and cache) unchanged", () => {
    const m = loaded();
    expect(m.evaluate("total").ok).toBe(true);
    const err = thrown(() => m.setNode({ id: "sales", formula: "[total]" }));
    expect(err.info).toMatchObject({ code: "cycle", nodeId: "sales", cycle: ["sales", "total", "forecast", "sales"] });
    expect(m.get("sales")?.formula).toBe(app[0]!.formula);
    expect(m.isCached("total")).toBe(true);
  });

  it("Model.findCycle returns null for a DAG", () => {
    const m = loaded();
    expect(Model.findCycle(new Map(m.list().map((n) => [n.id, n])))).toBeNull();
  });
});

describe("evaluation, cache and invalidation", () => {
  it("evaluates through dependencies and caches results", () => {
    const m = loaded();
    const first = m.evaluate("total");
    expect(first).toMatchObject({ ok: true, kind: "scalar", cached: false });
    expect(first.ok && first.value).toBeCloseTo(363);
    expect(m.isCached("forecast")).toBe(true);
    expect(m.isCached("sales")).toBe(true);
    const second = m.evaluate("total");
    expect(second).toMatchObject({ ok: true, cached: true, computeMs: 0 });
    expect(second.ok && second.nodeComputeMs).toBeGreaterThanOrEqual(0);
  });

  it("setNode() invalidates the node and everything downstream, only", () => {
    const m = loaded();
    for (const n of m.list()) m.evaluate(n.id);
    const r = m.setNode({ id: "growth", formula: "0.2" });
    expect(r.created).toBe(false);
    expect(r.invalidated).toEqual(["growth", "forecast", "report", "total", "label"]);
    expect(m.isCached("sales")).toBe(true);
    for (const id of r.invalidated) expect(m.isCached(id)).toBe(false);
    const total = m.evaluate("total");
    expect(total.ok && total.value).toBeCloseTo(396);
  });

  it("a title-only change invalidates nothing", () => {
    const m = loaded();
    m.evaluate("total");
    const r = m.setNode({ id: "growth", title: "Growth rate", formula: "0.1" });
    expect(r.invalidated).toEqual([]);
    expect(m.get("growth")?.title).toBe("Growth rate");
    expect(m.isCached("total")).toBe(true);
  });

  it("adding a node that an existing formula mentions makes it a dependency", () => {
    const m = loaded([{ id: "a", formula: "b * 2" }]);
    const before = m.evaluate("a");
    expect(before).toMatchObject({ ok: false, error: { code: "formula_error" } });
    const r = m.setNode({ id: "b", formula: "21" });
    expect(r).toMatchObject({ created: true, invalidated: ["b", "a"] });
    expect(m.evaluate("a")).toMatchObject({ ok: true, value: 42 });
  });

  it("unknown nodes are reported", () => {
    expect(loaded().evaluate("nope")).toMatchObject({ ok: false, error: { code: "unknown_node", nodeId: "nope" } });
  });
});

describe("errors", () => {
  it("names the failing node, with its title", () => {
    const m = loaded([{ id: "price", title: "Unit price", formula: "cost * 2" }]);
    const r = m.evaluate("price");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ code: "formula_error", nodeId: "price", failedNodeId: "price" });
      expect(r.error.message).toBe('node "price" (Unit price) failed: ReferenceError: cost is not defined');
    }
  });

  it("propagates upstream errors: 'depends on node X which failed'", () => {
    const m = loaded([
      { id: "bad", formula: "JSON.parse('{')" },
      { id: "mid", formula: "bad + 1" },
      { id: "top", formula: "mid * 2" },
    ]);
    const r = m.evaluate("top");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("upstream_error");
      expect(r.error.nodeId).toBe("top");
      expect(r.error.failedNodeId).toBe("bad");
      expect(r.error.message).toMatch(/^node "top" depends on node "bad" which failed: node "bad" failed: SyntaxError/);
    }
    m.setNode({ id: "bad", formula: "1" });
    expect(m.evaluate("top")).toMatchObject({ ok: true, value: 4 });
  });

  it("a runaway formula times out, the error is cached, and other nodes still work", () => {
    const m = loaded([
      { id: "spin", formula: "(() => { while (true) {} })()" },
      { id: "ok", formula: "1 + 1" },
    ]);
    const t = Date.now();
    expect(m.evaluate("spin")).toMatchObject({ ok: false, error: { code: "timeout", nodeId: "spin" } });
    expect(m.evaluate("spin")).toMatchObject({ ok: false, error: { code: "timeout" } });
    expect(Date.now() - t).toBeLessThan(1500); // second call served from the cache
    expect(m.evaluate("ok")).toMatchObject({ ok: true, value: 2 });
  });
});

describe("result kinds", () => {
  it("classifies scalars, arrays, tables and objects", () => {
    expect(classify(3)).toEqual({ kind: "scalar", wire: 3 });
    expect(classify("x").kind).toBe("scalar");
    expect(classify(null).kind).toBe("scalar");
    expect(classify([1, 2]).kind).toBe("array");
    expect(classify([]).kind).toBe("array");
    expect(classify([[1, 2], [3, 4]]).kind).toBe("array");
    expect(classify([{ a: 1 }, { b: 2 }])).toEqual({ kind: "table", wire: { columns: ["a", "b"], rows: [[1, null], [null, 2]] } });
    expect(classify({ columns: ["a"], rows: [[1]] })).toEqual({ kind: "table", wire: { columns: ["a"], rows: [[1]] } });
    expect(classify({ a: 1 }).kind).toBe("object");
  });

  it("evaluate() returns the kind and the wire shape", () => {
    const m = loaded();
    expect(m.evaluate("sales")).toMatchObject({ ok: true, kind: "array", value: [100, 110, 120] });
    const report = m.evaluate("report");
    expect(report).toMatchObject({ ok: true, kind: "table" });
    expect(report.ok && (report.value as { columns: string[] }).columns).toEqual(["month", "sales", "forecast"]);
    expect(m.evaluate("label")).toMatchObject({ ok: true, kind: "scalar" });
  });

  it("downstream nodes receive the raw value (array of objects), not the wire table", () => {
    const m = loaded([
      { id: "rows", formula: "[{ a: 1 }, { a: 2 }]" },
      { id: "firstA", formula: "rows[0].a" },
    ]);
    expect(m.evaluate("firstA")).toMatchObject({ ok: true, value: 1 });
  });
});
