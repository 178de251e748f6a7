"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { SelectField, TextField } from "@/app/_components/field";
import { LocalTime } from "@/app/_components/local-time";
import { api, toApiError } from "@/lib/ui/api-client";
import { numberOrNull } from "@/lib/ui/format";
import type { ApiKey, Role } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

const KEY_ROLES = [
  { value: "member", label: "Member" },
  { value: "admin", label: "Admin" },
] as const;

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | null;

export function ApiKeysView({ canWrite }: { canWrite: boolean }) {
  const keys = useApiResource<{ apiKeys: ApiKey[] }>("/api/api-keys");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [days, setDays] = useState("90");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [createError, setCreateError] = useState<DisplayError | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setCreated(null);
    setCreateError(null);
    setFeedback(null);
    try {
      const expiresInDays = numberOrNull(days);
      const r = await api<{ apiKey: ApiKey; key: string }>("POST", "/api/api-keys", { name, role, ...(days.trim() ? { expiresInDays } : {}) });
      setCreated({ name: r.apiKey.name, key: r.key });
      setName("");
      keys.reload();
    } catch (err) {
      setCreateError(toApiError(err));
    }
    setBusy(false);
  }

  async function revoke(k: ApiKey) {
    setBusy(true);
    setFeedback(null);
    setCreated(null);
    try {
      await api<{ ok: boolean }>("DELETE", `/api/api-keys/${k.id}`);
      setFeedback({ kind: "status", message: `API key ${k.name} revoked.` });
    } catch (err) {
      setFeedback({ kind: "error", error: toApiError(err) });
    }
    keys.reload();
    setBusy(false);
  }

  const columns: Column<ApiKey>[] = [
    { header: "Name", cell: (k) => <span className="font-medium text-slate-900">{k.name}</span> },
    { header: "Role", cell: (k) => <span className="capitalize">{k.role}</span> },
    { header: "Prefix", cell: (k) => <code className="font-mono text-xs">{k.prefix}…</code> },
    { header: "Created", cell: (k) => <LocalTime value={k.createdAt} />, className: "whitespace-nowrap" },
    { header: "Expires", cell: (k) => (k.expiresAt ? <LocalTime value={k.expiresAt} /> : "Never"), className: "whitespace-nowrap" },
    { header: "Last used", cell: (k) => (k.lastUsedAt ? <LocalTime value={k.lastUsedAt} /> : "Never"), className: "whitespace-nowrap" },
    {
      header: "Revoked",
      cell: (k) => (k.revokedAt ? <LocalTime value={k.revokedAt} /> : "—"),
      className: "whitespace-nowrap",
    },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (k) =>
        k.revokedAt ? null : (
          <Button size="sm" variant="danger" aria-label={`Revoke ${k.name}`} disabled={busy} onClick={() => void revoke(k)}>
            Revoke
          </Button>
        ),
    });
  }

  return (
    <div className="space-y-6">
      <PageHeader title="API keys" description="Keys let scripts call the Atrium API as your organisation. Treat them like passwords." />
      {canWrite ? (
        <FormCard title="Create API key" onSubmit={create}>
          <div className="grid gap-4 sm:grid-cols-[2fr_1fr_1fr]">
            <TextField label="Name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
            <SelectField label="Role" options={KEY_ROLES} value={role} onChange={(e) => setRole(e.target.value as Role)} />
            <TextField
              label="Expires in (days)"
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
              hint="Empty = never expires."
            />
          </div>
          <ErrorAlert error={createError} />
          {created ? (
            <div role="status" className="rounded-lg border border-indigo-200 bg-indigo-50 px-4 py-3 text-sm text-indigo-950">
              <p className="font-medium">API key {created.name} created. This key is shown only once.</p>
              <p className="mt-1">Copy it now and store it somewhere safe.</p>
              <code data-testid="new-api-key" className="mt-2 block rounded-md bg-white px-2 py-1 font-mono text-xs break-all text-slate-900 ring-1 ring-indigo-200 select-all">
                {created.key}
              </code>
            </div>
          ) : null}
          <Button type="submit" disabled={busy}>
            Create key
          </Button>
        </FormCard>
      ) : null}
      {feedback?.kind === "error" ? <ErrorAlert error={feedback.error} /> : null}
      {feedback?.kind === "status" ? <StatusMessage>{feedback.message}</StatusMessage> : null}
      <ErrorAlert error={keys.error} />
      <DataTable
        caption="API keys"
        columns={columns}
        rows={keys.data?.apiKeys ?? null}
        rowKey={(k) => k.id}
        rowTestId={(k) => `api-key-row-${k.name}`}
        rowClassName={(k) => (k.revokedAt ? "text-slate-400" : "")}
        empty="No API keys yet."
      />
    </div>
  );
}
