"use client";

import { useEffect, useState } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { api, toApiError } from "@/lib/ui/api-client";
import { humanDuration } from "@/lib/ui/format";
import type { EngineRow } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | null;

const REFRESH_MS = 5000;

const STATUS_STYLE: Record<string, string> = {
  running: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  starting: "bg-indigo-50 text-indigo-800 ring-indigo-200",
  stopping: "bg-amber-50 text-amber-800 ring-amber-200",
  failed: "bg-red-50 text-red-800 ring-red-200",
};

export function EnginesView({ canWrite }: { canWrite: boolean }) {
  const engines = useApiResource<{ engines: EngineRow[] }>("/api/engines");
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [stopping, setStopping] = useState<Set<string>>(() => new Set());
  const { reload } = engines;

  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);

  async function stop(e: EngineRow) {
    setStopping((s) => new Set(s).add(e.id));
    setFeedback(null);
    try {
      await api<{ ok: boolean }>("DELETE", `/api/engines/${e.id}`);
      setFeedback({ kind: "status", message: `Engine of ${e.user.email} for ${e.app.name} stopped.` });
    } catch (err) {
      setFeedback({ kind: "error", error: toApiError(err) });
    }
    setStopping((s) => {
      const next = new Set(s);
      next.delete(e.id);
      return next;
    });
    reload();
  }

  const columns: Column<EngineRow>[] = [
    { header: "User", cell: (e) => <span className="font-medium text-slate-900">{e.user.email}</span> },
    { header: "App", cell: (e) => e.app.name },
    {
      header: "Status",
      cell: (e) => (
        <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset ${STATUS_STYLE[e.status] ?? "bg-slate-50 text-slate-700 ring-slate-200"}`}>
          {e.status}
        </span>
      ),
    },
    { header: "Age", cell: (e) => humanDuration(e.ageSeconds), className: "whitespace-nowrap" },
    { header: "CPU %", cell: (e) => (typeof e.cpuPercent === "number" ? e.cpuPercent.toFixed(1) : "—"), className: "tabular-nums" },
    { header: "Memory MiB", cell: (e) => (typeof e.memoryBytes === "number" ? (e.memoryBytes / 1048576).toFixed(1) : "—"), className: "tabular-nums" },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (e) => (
        <Button size="sm" variant="danger" disabled={stopping.has(e.id)} aria-label={`Stop engine of ${e.user.email} for ${e.app.name}`} onClick={() => void stop(e)}>
          {stopping.has(e.id) ? "Stopping…" : "Stop"}
        </Button>
      ),
    });
  }

  return (
    <div className="space-y-6">
      <PageHeader title="Engines" description="The private engines running for people's workspaces. The list refreshes every 5 seconds." />
      <FeedbackView feedback={feedback} />
      <ErrorAlert error={engines.error} />
      <DataTable caption="Running engines" columns={columns} rows={engines.data?.engines ?? null} rowKey={(e) => e.id} rowTestId={(e) => `engine-row-${e.user.email}`} empty="No engines are running." />
    </div>
  );
}

function FeedbackView({ feedback }: { feedback: Feedback }) {
  if (!feedback) return null;
  return feedback.kind === "error" ? <ErrorAlert error={feedback.error} /> : <StatusMessage>{feedback.message}</StatusMessage>;
}
