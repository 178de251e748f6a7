"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { TextField } from "@/app/_components/field";
import { api, toApiError } from "@/lib/ui/api-client";
import { numberOrNull } from "@/lib/ui/format";
import type { Group } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";
import { GroupResourcesEditor } from "./group-resources-editor";

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | null;

export function cores(cpuMillis: number): string {
  return `${(cpuMillis / 1000).toLocaleString(undefined, { maximumFractionDigits: 3 })} ${cpuMillis === 1000 ? "core" : "cores"}`;
}

export function GroupsView({ canWrite }: { canWrite: boolean }) {
  const groups = useApiResource<{ groups: Group[] }>("/api/groups");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [cpu, setCpu] = useState("1000");
  const [memory, setMemory] = useState("2048");
  const [createFeedback, setCreateFeedback] = useState<Feedback>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<string>, show: (f: Feedback) => void) {
    setBusy(true);
    setFeedback(null);
    setCreateFeedback(null);
    try {
      show({ kind: "status", message: await action() });
      groups.reload();
      setBusy(false);
      return true;
    } catch (err) {
      show({ kind: "error", error: toApiError(err) });
      setBusy(false);
      return false;
    }
  }

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const ok = await run(async () => {
      const r = await api<{ group: Group }>("POST", "/api/groups", {
        name,
        description: description || undefined,
        cpuMillis: numberOrNull(cpu),
        memoryMiB: numberOrNull(memory),
      });
      return `Group ${r.group.name} created.`;
    }, setCreateFeedback);
    if (ok) {
      setName("");
      setDescription("");
    }
  }

  const columns: Column<Group>[] = [
    {
      header: "Group",
      cell: (g) => (
        <div>
          <div className="font-medium text-slate-900">{g.name}</div>
          <div className="text-xs text-slate-500">{g.description || "—"}</div>
        </div>
      ),
    },
    { header: "CPU", cell: (g) => cores(g.cpuMillis), className: "whitespace-nowrap" },
    { header: "Memory", cell: (g) => `${g.memoryMiB.toLocaleString()} MiB`, className: "whitespace-nowrap" },
    { header: "Members", cell: (g) => g.memberCount },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (g) => (
        <div className="flex flex-wrap items-end gap-2">
          <GroupResourcesEditor
            group={g}
            disabled={busy}
            onSave={(cpuMillis, memoryMiB) =>
              run(async () => {
                await api<{ group: Group }>("PATCH", `/api/groups/${g.id}`, { cpuMillis, memoryMiB });
                return `Group ${g.name} saved.`;
              }, setFeedback)
            }
          />
          <Button
            size="sm"
            variant="danger"
            disabled={busy}
            onClick={() => {
              if (!window.confirm(`Delete the group ${g.name}? Its members keep their accounts.`)) return;
              void run(async () => {
                await api<{ ok: boolean }>("DELETE", `/api/groups/${g.id}`);
                return `Group ${g.name} deleted.`;
              }, setFeedback);
            }}
          >
            Delete {g.name}
          </Button>
        </div>
      ),
    });
  }

  return (
    <div className="space-y-6">
      <PageHeader title="Groups" description="Groups collect people and set the computing resources each member's workspace gets." />
      {canWrite ? (
        <FormCard title="New group" onSubmit={create}>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField label="Name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
            <TextField label="Description" autoComplete="off" value={description} onChange={(e) => setDescription(e.target.value)} />
            <TextField
              label="CPU (millicores)"
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              required
              value={cpu}
              onChange={(e) => setCpu(e.target.value)}
              hint={numberOrNull(cpu) !== null ? `${cores(numberOrNull(cpu) ?? 0)} (1000 millicores = 1 core)` : "1000 millicores = 1 core"}
            />
            <TextField label="Memory (MiB)" type="number" inputMode="numeric" min={1} step={1} required value={memory} onChange={(e) => setMemory(e.target.value)} />
          </div>
          <FeedbackView feedback={createFeedback} />
          <Button type="submit" disabled={busy}>
            Create group
          </Button>
        </FormCard>
      ) : null}
      <FeedbackView feedback={feedback} />
      <ErrorAlert error={groups.error} />
      <DataTable caption="Groups" columns={columns} rows={groups.data?.groups ?? null} rowKey={(g) => g.id} rowTestId={(g) => `group-row-${g.name}`} empty="No groups yet." />
    </div>
  );
}

function FeedbackView({ feedback }: { feedback: Feedback }) {
  if (!feedback) return null;
  return feedback.kind === "error" ? <ErrorAlert error={feedback.error} /> : <StatusMessage>{feedback.message}</StatusMessage>;
}
