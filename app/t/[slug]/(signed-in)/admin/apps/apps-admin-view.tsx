"use client";

import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { ErrorAlert, Note, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button, buttonClasses } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { CheckboxField, TextField } from "@/app/_components/field";
import { api, toApiError } from "@/lib/ui/api-client";
import type { AppDetail, AppSummary, Group } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";
import { NodeRowsEditor, nodeRow, nodeRowProblems, rowsToNodes, type NodeRow } from "./node-rows-editor";

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | null;

function FeedbackView({ feedback }: { feedback: Feedback }) {
  if (!feedback) return null;
  return feedback.kind === "error" ? <ErrorAlert error={feedback.error} /> : <StatusMessage>{feedback.message}</StatusMessage>;
}

/** Every app with its details (shares, nodes): GET /api/apps, then GET /api/apps/:id each. */
function useAppDetails(): { apps: AppDetail[] | null; error: DisplayError | null; reload: () => void } {
  const list = useApiResource<{ apps: AppSummary[] }>("/api/apps");
  const [details, setDetails] = useState<{ for: AppSummary[]; apps: AppDetail[]; error: DisplayError | null } | null>(null);
  const summaries = list.data?.apps ?? null;

  useEffect(() => {
    if (!summaries) return;
    let active = true;
    Promise.all(summaries.map((a) => api<{ app: AppDetail }>("GET", `/api/apps/${a.id}`).then((r) => r.app))).then(
      (apps) => {
        if (active) setDetails({ for: summaries, apps, error: null });
      },
      (err: unknown) => {
        if (active) setDetails((d) => ({ for: summaries, apps: d?.apps ?? [], error: toApiError(err) }));
      },
    );
    return () => {
      active = false;
    };
  }, [summaries]);

  return { apps: details && details.for === summaries ? details.apps : (details?.apps ?? null), error: list.error ?? details?.error ?? null, reload: list.reload };
}

function AppEditor({
  app,
  groups,
  canListGroups,
  onSaved,
  onClose,
}: {
  app: AppDetail;
  groups: Group[] | null;
  canListGroups: boolean;
  onSaved: () => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description ?? "");
  const [rows, setRows] = useState<NodeRow[]>(() => app.nodes.map((n) => nodeRow(n)));
  const [shared, setShared] = useState<Set<string>>(() => new Set(app.shares.map((s) => s.id)));
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [shareFeedback, setShareFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const problems = nodeRowProblems(rows);
    if (!name.trim()) problems.unshift("The name is required.");
    if (problems.length > 0) {
      setFeedback({ kind: "error", error: { message: problems[0]!, issues: problems.map((message) => ({ field: "", message })) } });
      return;
    }
    setBusy(true);
    setFeedback(null);
    try {
      const r = await api<{ app: AppDetail }>("PUT", `/api/apps/${app.id}`, { name: name.trim(), description: description.trim(), nodes: rowsToNodes(rows) });
      setFeedback({ kind: "status", message: `App ${r.app.name} saved: version ${r.app.version}.` });
      onSaved();
    } catch (err) {
      setFeedback({ kind: "error", error: toApiError(err) });
    }
    setBusy(false);
  }

  async function saveSharing(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setShareFeedback(null);
    try {
      const r = await api<{ app: AppDetail }>("PUT", `/api/apps/${app.id}/shares`, { groupIds: [...shared] });
      const names = r.app.shares?.map((s) => s.name) ?? [];
      setShareFeedback({ kind: "status", message: names.length ? `${r.app.name} is shared with ${names.join(", ")}.` : `${r.app.name} is not shared with any group.` });
      onSaved();
    } catch (err) {
      setShareFeedback({ kind: "error", error: toApiError(err) });
    }
    setBusy(false);
  }

  // Groups the app is shared with that the caller cannot list (editors without groups:read) still show.
  const options: { id: string; name: string }[] = groups ? [...groups] : [];
  for (const s of app.shares) if (!options.some((g) => g.id === s.id)) options.push(s);

  return (
    <div className="space-y-6">
      <FormCard title={`Edit ${app.name}`} description={`Version ${app.version}. Saving changed nodes makes a new version; running engines keep theirs until started again.`} onSubmit={save}>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          <TextField label="Description" autoComplete="off" value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <NodeRowsEditor rows={rows} onChange={setRows} disabled={busy} idPrefix={`edit-${app.id}`} />
        <FeedbackView feedback={feedback} />
        <div className="flex gap-2">
          <Button type="submit" disabled={busy}>
            Save app
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Close
          </Button>
        </div>
      </FormCard>
      <FormCard title={`Sharing of ${app.name}`} description="Members of these groups may open the app. Admins and editors open every app." onSubmit={saveSharing}>
        {!canListGroups ? <Note>Your role cannot list groups: only the groups the app is already shared with are shown.</Note> : null}
        {groups === null && canListGroups ? <p className="text-sm text-slate-500">Loading groups…</p> : null}
        {options.length === 0 && (groups !== null || !canListGroups) ? <p className="text-sm text-slate-500">There are no groups yet.</p> : null}
        <fieldset className="grid gap-2 sm:grid-cols-2">
          <legend className="sr-only">Groups</legend>
          {options.map((g) => (
            <CheckboxField
              key={g.id}
              label={g.name}
              checked={shared.has(g.id)}
              onChange={(e) =>
                setShared((s) => {
                  const next = new Set(s);
                  if (e.target.checked) next.add(g.id);
                  else next.delete(g.id);
                  return next;
                })
              }
            />
          ))}
        </fieldset>
        <FeedbackView feedback={shareFeedback} />
        <Button type="submit" disabled={busy}>
          Save sharing
        </Button>
      </FormCard>
    </div>
  );
}

export function AppsAdminView({ slug, canWrite, canListGroups }: { slug: string; canWrite: boolean; canListGroups: boolean }) {
  const { apps, error, reload } = useAppDetails();
  const groups = useApiResource<{ groups: Group[] }>(canWrite && canListGroups ? "/api/groups" : null);
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [rows, setRows] = useState<NodeRow[]>(() => [nodeRow()]);
  const [createFeedback, setCreateFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);
  const base = `/t/${encodeURIComponent(slug)}`;

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const problems = nodeRowProblems(rows);
    if (!name.trim()) problems.unshift("The name is required.");
    if (problems.length > 0) {
      setCreateFeedback({ kind: "error", error: { message: problems[0]!, issues: problems.map((message) => ({ field: "", message })) } });
      return;
    }
    setBusy(true);
    setCreateFeedback(null);
    try {
      const r = await api<{ app: AppDetail }>("POST", "/api/apps", { name: name.trim(), description: description.trim() || undefined, nodes: rowsToNodes(rows) });
      setCreateFeedback({ kind: "status", message: `App ${r.app.name} created (version ${r.app.version}).` });
      setName("");
      setDescription("");
      setRows([nodeRow()]);
      reload();
    } catch (err) {
      setCreateFeedback({ kind: "error", error: toApiError(err) });
    }
    setBusy(false);
  }

  const columns: Column<AppDetail>[] = [
    {
      header: "App",
      cell: (a) => (
        <div>
          <Link href={`${base}/apps/${a.id}`} className="font-medium text-indigo-700 hover:underline">
            {a.name}
          </Link>
          <div className="text-xs text-slate-500">{a.description || "—"}</div>
        </div>
      ),
    },
    { header: "Version", cell: (a) => <span data-testid={`app-version-${a.name}`}>{a.version}</span> },
    { header: "Nodes", cell: (a) => a.nodes.length },
    { header: "Shared with", cell: (a) => (a.shares.length ? a.shares.map((s) => s.name).join(", ") : <span className="text-slate-500">No groups</span>) },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (a) => (
        <Button size="sm" variant="secondary" aria-expanded={editing === a.id} onClick={() => setEditing(editing === a.id ? null : a.id)}>
          Edit {a.name}
        </Button>
      ),
    });
  }
  const editingApp = apps?.find((a) => a.id === editing) ?? null;

  return (
    <div className="space-y-6">
      <PageHeader title="Apps" description="Apps are calculation models. Each user who opens one gets a private engine.">
        <Link href={`${base}/admin/engines`} className={buttonClasses("secondary", "sm")}>
          Running engines
        </Link>
      </PageHeader>
      <ErrorAlert error={error} />
      <DataTable caption="Apps" columns={columns} rows={apps} rowKey={(a) => a.id} rowTestId={(a) => `app-row-${a.name}`} empty="No apps yet." />
      {editingApp ? <AppEditor key={editingApp.id} app={editingApp} groups={groups.data?.groups ?? null} canListGroups={canListGroups} onSaved={reload} onClose={() => setEditing(null)} /> : null}
      {canWrite ? (
        <FormCard title="New app" onSubmit={create}>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField label="Name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
            <TextField label="Description" autoComplete="off" value={description} onChange={(e) => setDescription(e.target.value)} />
          </div>
          <NodeRowsEditor rows={rows} onChange={setRows} disabled={busy} idPrefix="new" />
          <FeedbackView feedback={createFeedback} />
          <Button type="submit" disabled={busy}>
            Create app
          </Button>
        </FormCard>
      ) : null}
    </div>
  );
}
