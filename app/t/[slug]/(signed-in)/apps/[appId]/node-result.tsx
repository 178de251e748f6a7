"use client";

import { useState } from "react";
import { BarChart } from "@/app/_components/bar-chart";
import { numericSeries } from "@/app/_components/chart-axes";
import { LineChart } from "@/app/_components/line-chart";
import { focusRing } from "@/app/_components/button";
import type { NodeResult } from "@/lib/ui/workspace-session";

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumSignificantDigits: 8 });
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toLocaleString()} ms`;
}

function asTable(v: unknown): { columns: string[]; rows: unknown[][] } | null {
  if (typeof v !== "object" || v === null) return null;
  const t = v as { columns?: unknown; rows?: unknown };
  if (!Array.isArray(t.columns) || !Array.isArray(t.rows)) return null;
  return { columns: t.columns.map(String), rows: t.rows.map((r) => (Array.isArray(r) ? r : [r])) };
}

const MAX_ROWS = 200;

function ChartToggle({ title, mode, onChange }: { title: string; mode: "line" | "bar"; onChange: (m: "line" | "bar") => void }) {
  return (
    <div role="group" aria-label={`Chart type of ${title}`} className="inline-flex rounded-lg bg-slate-100 p-0.5 text-xs">
      {(["line", "bar"] as const).map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={mode === m}
          onClick={() => onChange(m)}
          className={`rounded-md px-2.5 py-1 font-medium ${focusRing} ${mode === m ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900"}`}
        >
          {m === "line" ? "Line" : "Bar"}
        </button>
      ))}
    </div>
  );
}

function Value({ nodeId, title, result }: { nodeId: string; title: string; result: Extract<NodeResult, { status: "ok" }> }) {
  const [mode, setMode] = useState<"line" | "bar">("line");
  if (result.kind === "scalar") {
    return (
      <p className="text-4xl font-semibold tracking-tight break-all text-slate-900 tabular-nums" data-testid={`scalar-${nodeId}`}>
        {formatValue(result.value)}
      </p>
    );
  }
  if (result.kind === "array") {
    const series = numericSeries(result.value);
    if (series) {
      const label = `${title}: ${mode} chart of ${series.length} value${series.length === 1 ? "" : "s"}`;
      return (
        <div className="space-y-2">
          <div className="flex items-center justify-between gap-2">
            <p className="text-xs text-slate-500">
              {series.length.toLocaleString()} value{series.length === 1 ? "" : "s"}
            </p>
            <ChartToggle title={title} mode={mode} onChange={setMode} />
          </div>
          {mode === "line" ? <LineChart values={series} label={label} testId={`chart-${nodeId}`} /> : <BarChart values={series} label={label} testId={`chart-${nodeId}`} />}
          <details className="text-xs text-slate-600">
            <summary className="cursor-pointer select-none">Values</summary>
            <p className="mt-1 font-mono break-all">{series.slice(0, 500).map(formatValue).join(", ")}{series.length > 500 ? ", …" : ""}</p>
          </details>
        </div>
      );
    }
    return <pre className="max-h-64 overflow-auto rounded-lg bg-slate-50 p-3 font-mono text-xs text-slate-800">{JSON.stringify(result.value, null, 2)}</pre>;
  }
  if (result.kind === "table") {
    const t = asTable(result.value);
    if (t) {
      return (
        <div className="max-h-96 overflow-auto rounded-lg border border-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-left text-sm" data-testid={`table-${nodeId}`}>
            <caption className="sr-only">{title}</caption>
            <thead className="sticky top-0 bg-slate-50">
              <tr>
                {t.columns.map((c, i) => (
                  <th key={c} scope="col" className={`px-3 py-2 text-xs font-semibold whitespace-nowrap text-slate-600 ${typeof t.rows[0]?.[i] === "number" ? "text-right" : ""}`}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {t.rows.slice(0, MAX_ROWS).map((row, r) => (
                <tr key={r}>
                  {t.columns.map((c, i) => (
                    <td key={c} className={`px-3 py-1.5 whitespace-nowrap text-slate-800 ${typeof row[i] === "number" ? "text-right tabular-nums" : ""}`}>
                      {formatValue(row[i])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {t.rows.length > MAX_ROWS ? <p className="px-3 py-2 text-xs text-slate-500">Showing {MAX_ROWS} of {t.rows.length.toLocaleString()} rows.</p> : null}
        </div>
      );
    }
  }
  return <pre className="max-h-64 overflow-auto rounded-lg bg-slate-50 p-3 font-mono text-xs text-slate-800">{JSON.stringify(result.value, null, 2)}</pre>;
}

/** One node's result card: value, chart or table, error, compute time. */
export function NodeResultView({ nodeId, title, result, titleOf }: { nodeId: string; title: string; result: NodeResult | undefined; titleOf: (id: string) => string }) {
  const shown = result?.status === "pending" ? result.previous : result;
  const pending = result === undefined || result.status === "pending";
  return (
    <section
      aria-labelledby={`result-title-${nodeId}`}
      data-testid={`node-result-${nodeId}`}
      aria-busy={pending}
      className={`rounded-xl border bg-white p-5 shadow-sm ${shown?.status === "error" ? "border-red-200" : "border-slate-200"}`}
    >
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h3 id={`result-title-${nodeId}`} className="text-sm font-semibold text-slate-900">
          {title} <span className="font-mono text-xs font-normal text-slate-500">{nodeId}</span>
        </h3>
        <p className="text-xs text-slate-500 tabular-nums" data-testid={`compute-time-${nodeId}`}>
          {pending ? "Computing…" : shown?.status === "ok" ? (shown.cached ? `Cached · computed in ${formatMs(shown.nodeComputeMs)}` : `Computed in ${formatMs(shown.computeMs)}`) : null}
        </p>
      </div>
      <div className={pending && shown ? "opacity-50 transition-opacity" : ""}>
        {shown === undefined || shown.status === "pending" ? (
          <p className="text-sm text-slate-500">Computing…</p>
        ) : shown.status === "error" ? (
          <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            <p className="font-medium">
              {shown.failedNodeId && shown.failedNodeId !== nodeId
                ? `${title} depends on ${titleOf(shown.failedNodeId)} (${shown.failedNodeId}), which failed.`
                : `${title} (${nodeId}) failed.`}
            </p>
            <p className="mt-1 font-mono text-xs break-words">{shown.message}</p>
          </div>
        ) : (
          <Value nodeId={nodeId} title={title} result={shown} />
        )}
      </div>
    </section>
  );
}
