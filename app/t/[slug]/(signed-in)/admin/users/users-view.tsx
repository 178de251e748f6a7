"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { SelectField, TextField } from "@/app/_components/field";
import { LocalTime } from "@/app/_components/local-time";
import { OneTimeLink } from "@/app/_components/one-time-link";
import { api, toApiError } from "@/lib/ui/api-client";
import { ROLES, type Group, type OneTimeLink as Link, type Role, type User } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";
import { GroupMembershipEditor } from "./group-membership-editor";

const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: r[0]!.toUpperCase() + r.slice(1) }));

type Feedback = { kind: "error"; error: DisplayError } | { kind: "status"; message: string } | { kind: "link"; link: Link; email: string } | null;

const STATUS_STYLE: Record<User["status"], string> = {
  active: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  invited: "bg-amber-50 text-amber-800 ring-amber-200",
  disabled: "bg-slate-100 text-slate-600 ring-slate-300",
};

export function UsersView({ currentUserId, canWrite, canReadGroups }: { currentUserId: string; canWrite: boolean; canReadGroups: boolean }) {
  const users = useApiResource<{ users: User[] }>("/api/users");
  const groups = useApiResource<{ groups: Group[] }>(canReadGroups ? "/api/groups" : null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [inviteFeedback, setInviteFeedback] = useState<Feedback>(null);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [busy, setBusy] = useState<string | null>(null);

  async function invite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy("invite");
    setInviteFeedback(null);
    setFeedback(null);
    try {
      const r = await api<{ user: User; setPasswordUrl: string | null; expiresAt: string | null; ssoSignInUrl?: string }>("POST", "/api/users", { email, name: name || undefined, role });
      if (r.setPasswordUrl && r.expiresAt) setInviteFeedback({ kind: "link", email: r.user.email, link: { setPasswordUrl: r.setPasswordUrl, expiresAt: r.expiresAt } });
      else setInviteFeedback({ kind: "status", message: `${r.user.email} was added. Your organisation requires single sign-on: they sign in with their company account at ${r.ssoSignInUrl ?? "your sign-in page"}; no password link is needed.` });
      setEmail("");
      setName("");
      setRole("member");
      users.reload();
    } catch (err) {
      setInviteFeedback({ kind: "error", error: toApiError(err) });
    }
    setBusy(null);
  }

  /** Run a row action; its outcome is shown above the table. */
  async function rowAction(key: string, action: () => Promise<Feedback>) {
    setBusy(key);
    setFeedback(null);
    setInviteFeedback(null);
    try {
      setFeedback(await action());
    } catch (err) {
      setFeedback({ kind: "error", error: toApiError(err) });
    }
    users.reload();
    setBusy(null);
  }

  const patch = (u: User, body: Record<string, unknown>) => api<{ user: User }>("PATCH", `/api/users/${u.id}`, body);

  const columns: Column<User>[] = [
    {
      header: "User",
      cell: (u) => (
        <div>
          <div className="font-medium text-slate-900">{u.email}</div>
          <div className="text-xs text-slate-500">{u.name || "—"}</div>
          {u.id === currentUserId ? <div className="text-xs text-indigo-700">(you)</div> : null}
        </div>
      ),
    },
    {
      header: "Role",
      cell: (u) =>
        canWrite ? (
          <SelectField
            label={`Role for ${u.email}`}
            hideLabel
            options={ROLE_OPTIONS}
            value={u.role}
            disabled={busy !== null}
            onChange={(e) => {
              const next = e.target.value as Role;
              void rowAction(`role-${u.id}`, async () => {
                await patch(u, { role: next });
                return { kind: "status", message: `${u.email} is now ${next === "admin" ? "an" : "a"} ${next}.` };
              });
            }}
            className="w-28"
          />
        ) : (
          <span className="capitalize">{u.role}</span>
        ),
    },
    {
      header: "Status",
      cell: (u) => <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset ${STATUS_STYLE[u.status]}`}>{u.status}</span>,
    },
    {
      header: "Groups",
      cell: (u) => (
        <div className="min-w-40 space-y-1">
          <div className="text-slate-700">{u.groups.length ? u.groups.map((g) => g.name).join(", ") : "—"}</div>
          {canWrite && groups.data ? (
            <GroupMembershipEditor
              user={u}
              groups={groups.data.groups}
              disabled={busy !== null}
              onSave={(groupIds) =>
                rowAction(`groups-${u.id}`, async () => {
                  await patch(u, { groupIds });
                  return { kind: "status", message: `Groups saved for ${u.email}.` };
                })
              }
            />
          ) : null}
        </div>
      ),
    },
    { header: "Last sign-in", cell: (u) => <LocalTime value={u.lastSignInAt} />, className: "whitespace-nowrap" },
  ];
  if (canWrite) {
    columns.push({
      header: "Actions",
      cell: (u) => (
        <div className="flex flex-col items-start gap-1.5">
          {u.status === "disabled" ? (
            <Button
              size="sm"
              variant="secondary"
              aria-label={`Enable ${u.email}`}
              disabled={busy !== null}
              onClick={() =>
                rowAction(`status-${u.id}`, async () => {
                  await patch(u, { status: "active" });
                  return { kind: "status", message: `${u.email} is enabled.` };
                })
              }
            >
              Enable
            </Button>
          ) : (
            <Button
              size="sm"
              variant="danger"
              aria-label={`Disable ${u.email}`}
              disabled={busy !== null}
              onClick={() =>
                rowAction(`status-${u.id}`, async () => {
                  await patch(u, { status: "disabled" });
                  return { kind: "status", message: `${u.email} is disabled and signed out everywhere.` };
                })
              }
            >
              Disable
            </Button>
          )}
          <Button
            size="sm"
            variant="secondary"
            aria-label={`New set-password link for ${u.email}`}
            disabled={busy !== null}
            onClick={() =>
              rowAction(`link-${u.id}`, async () => {
                const link = await api<Link>("POST", `/api/users/${u.id}/set-password-link`, {});
                return { kind: "link", email: u.email, link };
              })
            }
          >
            New set-password link
          </Button>
        </div>
      ),
    });
  }

  return (
    <div className="space-y-6">
      <PageHeader title="Users" description="Everyone who can sign in to your organisation." />
      {canWrite ? (
        <FormCard title="Invite user" description="The person gets a one-time link to set their password." onSubmit={invite}>
          <div className="grid gap-4 sm:grid-cols-[2fr_2fr_1fr]">
            <TextField label="Email" type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
            <TextField label="Name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
            <SelectField label="Role" options={ROLE_OPTIONS} value={role} onChange={(e) => setRole(e.target.value as Role)} />
          </div>
          <FeedbackView feedback={inviteFeedback} />
          <Button type="submit" disabled={busy !== null}>
            Invite
          </Button>
        </FormCard>
      ) : null}
      <FeedbackView feedback={feedback} />
      <ErrorAlert error={users.error ?? groups.error} />
      <DataTable caption="Users" columns={columns} rows={users.data?.users ?? null} rowKey={(u) => u.id} rowTestId={(u) => `user-row-${u.email}`} empty="No users yet." />
    </div>
  );
}

function FeedbackView({ feedback }: { feedback: Feedback }) {
  if (!feedback) return null;
  if (feedback.kind === "error") return <ErrorAlert error={feedback.error} />;
  if (feedback.kind === "status") return <StatusMessage>{feedback.message}</StatusMessage>;
  return <OneTimeLink url={feedback.link.setPasswordUrl} expiresAt={feedback.link.expiresAt} forWhom={feedback.email} />;
}
