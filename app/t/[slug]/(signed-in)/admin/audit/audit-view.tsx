"use client";

import { useEffect, useState, type FormEvent } from "react";
import { ErrorAlert, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { SelectField, TextField } from "@/app/_components/field";
import { LocalTime } from "@/app/_components/local-time";
import { api, toApiError } from "@/lib/ui/api-client";
import type { AuditEvent } from "@/lib/ui/types";

interface Filters {
  action: string;
  outcome: "" | "success" | "failure";
  actor: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { action: "", outcome: "", actor: "", from: "", to: "" };
const PAGE_SIZE = 50;

/** datetime-local ("2025-01-31T14:05") is the reader's local time; the API wants an instant. */
function toIso(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function queryFor(f: Filters, before: string | null): string {
  const q = new URLSearchParams();
  if (f.action.trim()) q.set("action", f.action.trim());
  if (f.outcome) q.set("outcome", f.outcome);
  if (f.actor.trim()) q.set("actor", f.actor.trim());
  const from = toIso(f.from);
  const to = toIso(f.to);
  if (from) q.set("from", from);
  if (to) q.set("to", to);
  if (before) q.set("before", before);
  q.set("limit", String(PAGE_SIZE));
  return `/api/audit?${q.toString()}`;
}

interface Page {
  events: AuditEvent[];
  nextBefore: string | null;
}

export function AuditView() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [version, setVersion] = useState(0);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [error, setError] = useState<DisplayError | null>(null);
  const [busy, setBusy] = useState(false);

  // The first page for the applied filters (again whenever they are applied).
  useEffect(() => {
    let active = true;
    api<Page>("GET", queryFor(applied, null)).then(
      (page) => {
        if (!active) return;
        setEvents(page.events);
        setNextBefore(page.nextBefore);
        setError(null);
        setBusy(false);
      },
      (err: unknown) => {
        if (!active) return;
        setError(toApiError(err));
        setBusy(false);
      },
    );
    return () => {
      active = false;
    };
  }, [applied, version]);

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setApplied({ ...draft });
    setVersion((v) => v + 1);
  }

  async function older() {
    if (!nextBefore) return;
    setBusy(true);
    setError(null);
    try {
      const page = await api<Page>("GET", queryFor(applied, nextBefore));
      setEvents((prev) => [...(prev ?? []), ...page.events]);
      setNextBefore(page.nextBefore);
    } catch (err) {
      setError(toApiError(err));
    }
    setBusy(false);
  }

  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const columns: Column<AuditEvent>[] = [
    { header: "Time", cell: (e) => <LocalTime value={e.createdAt} />, className: "whitespace-nowrap" },
    {
      header: "Actor",
      cell: (e) => (
        <div>
          <div className="text-slate-900">{e.actor.label ?? e.actor.id ?? "—"}</div>
          <div className="text-xs text-slate-500">{e.actor.type}</div>
        </div>
      ),
    },
    { header: "Action", cell: (e) => <code className="font-mono text-xs">{e.action}</code> },
    {
      header: "Outcome",
      cell: (e) => (
        <span
          className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${
            e.outcome === "success" ? "bg-emerald-50 text-emerald-800 ring-emerald-200" : "bg-red-50 text-red-800 ring-red-200"
          }`}
        >
          {e.outcome}
        </span>
      ),
    },
    { header: "Reason", cell: (e) => e.reason ?? "—" },
    {
      header: "Target",
      cell: (e) =>
        e.target ? (
          <span className="text-xs">
            {e.target.type} <code className="font-mono text-slate-500">{e.target.id.slice(0, 8)}</code>
          </span>
        ) : (
          "—"
        ),
    },
    { header: "IP", cell: (e) => <span className="font-mono text-xs">{e.ip ?? "—"}</span> },
    { header: "Request id", cell: (e) => <code className="font-mono text-xs text-slate-500">{e.requestId ?? "—"}</code> },
  ];

  return (
    <div className="space-y-6">
      <PageHeader title="Audit log" description="Every sign-in, change and refusal in your organisation, newest first." />
      <FormCard title="Filters" onSubmit={apply}>
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
          <TextField label="Action" placeholder="signin.failure" autoComplete="off" value={draft.action} onChange={(e) => set("action", e.target.value)} />
          <SelectField
            label="Outcome"
            options={[
              { value: "", label: "Any" },
              { value: "success", label: "Success" },
              { value: "failure", label: "Failure" },
            ]}
            value={draft.outcome}
            onChange={(e) => set("outcome", e.target.value as Filters["outcome"])}
          />
          <TextField label="Actor" placeholder="Email or id" autoComplete="off" value={draft.actor} onChange={(e) => set("actor", e.target.value)} />
          <TextField label="From" type="datetime-local" step={1} value={draft.from} onChange={(e) => set("from", e.target.value)} />
          <TextField label="To" type="datetime-local" step={1} value={draft.to} onChange={(e) => set("to", e.target.value)} />
        </div>
        <Button type="submit" disabled={busy}>
          Apply filters
        </Button>
      </FormCard>
      <ErrorAlert error={error} />
      <DataTable
        caption="Audit events"
        columns={columns}
        rows={events}
        rowKey={(e) => e.id}
        rowTestId={(e) => `audit-row-${e.action}`}
        empty="No events match these filters."
      />
      {nextBefore ? (
        <Button variant="secondary" onClick={older} disabled={busy}>
          Older events
        </Button>
      ) : null}
    </div>
  );
}
