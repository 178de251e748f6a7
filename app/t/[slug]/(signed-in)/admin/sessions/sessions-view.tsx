"use client";

import { useState } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { LocalTime } from "@/app/_components/local-time";
import { api, toApiError } from "@/lib/ui/api-client";
import { truncate } from "@/lib/ui/format";
import type { SessionRow } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | null;

export function SessionsView({ canWrite }: { canWrite: boolean }) {
  const sessions = useApiResource<{ sessions: SessionRow[] }>("/api/sessions");
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);

  async function revoke(s: SessionRow) {
    setBusy(true);
    setFeedback(null);
    try {
      await api<{ ok: boolean }>("DELETE", `/api/sessions/${s.id}`);
      setFeedback({ kind: "status", message: `Session of ${s.user?.email ?? "unknown user"} revoked.` });
    } catch (err) {
      setFeedback({ kind: "error", error: toApiError(err) });
    }
    sessions.reload();
    setBusy(false);
  }

  const columns: Column<SessionRow>[] = [
    {
      header: "User",
      cell: (s) => (
        <div>
          <div className="font-medium text-slate-900">{s.user?.email ?? "—"}</div>
          {s.current ? <div className="text-xs font-medium text-indigo-700">(this session)</div> : null}
        </div>
      ),
    },
    { header: "IP", cell: (s) => <span className="font-mono text-xs">{s.ip ?? "—"}</span> },
    {
      header: "Browser",
      cell: (s) => (
        <span title={s.userAgent ?? undefined} className="text-xs text-slate-600">
          {truncate(s.userAgent, 48)}
        </span>
      ),
    },
    { header: "Started", cell: (s) => <LocalTime value={s.createdAt} />, className: "whitespace-nowrap" },
    { header: "Last seen", cell: (s) => <LocalTime value={s.lastSeenAt} />, className: "whitespace-nowrap" },
    { header: "Expires", cell: (s) => <LocalTime value={s.expiresAt} />, className: "whitespace-nowrap" },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (s) => (
        <Button size="sm" variant="danger" aria-label={`Revoke session ${s.id}`} disabled={busy} onClick={() => void revoke(s)}>
          Revoke
        </Button>
      ),
    });
  }

  return (
    <div className="space-y-6">
      <PageHeader title="Sessions" description="Everyone signed in right now. Revoking a session signs that browser out on its next request.">
        <Button variant="secondary" onClick={sessions.reload} disabled={sessions.loading}>
          Refresh
        </Button>
      </PageHeader>
      {feedback?.kind === "error" ? <ErrorAlert error={feedback.error} /> : null}
      {feedback?.kind === "status" ? <StatusMessage>{feedback.message}</StatusMessage> : null}
      <ErrorAlert error={sessions.error} />
      <DataTable
        caption="Active sessions"
        columns={columns}
        rows={sessions.data?.sessions ?? null}
        rowKey={(s) => s.id}
        rowTestId={(s) => `session-row-${s.user?.email ?? "unknown"}`}
        rowClassName={(s) => (s.current ? "bg-indigo-50/40" : "")}
        empty="No active sessions."
      />
    </div>
  );
}
