"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard } from "@/app/_components/card";
import { SelectField, TextField } from "@/app/_components/field";
import type { Group } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";
import type { SsoState } from "./sso-types";
import { useSsoAction } from "./use-sso-action";

const ROLE_OPTIONS = [
  { value: "", label: "No role change" },
  { value: "member", label: "Member" },
  { value: "editor", label: "Editor" },
  { value: "admin", label: "Administrator" },
];

/** IdP group values → Atrium group and/or role, applied at each SSO sign-in. */
export function SsoMappingCard({ state, canWrite, onState }: { state: SsoState; canWrite: boolean; onState: (r: unknown) => void }) {
  const groups = useApiResource<{ groups: Group[] }>("/api/groups");
  const [idpValue, setIdpValue] = useState("");
  const [groupId, setGroupId] = useState("");
  const [role, setRole] = useState("");
  const add = useSsoAction(onState);
  const remove = useSsoAction(onState);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (await add.run("POST", "/api/sso/group-mappings", { idpValue, groupId: groupId || null, role: role || null }, "Mapping added.")) {
      setIdpValue("");
      setGroupId("");
      setRole("");
    }
  }

  const groupOptions = [{ value: "", label: "No group" }, ...(groups.data?.groups ?? []).map((g) => ({ value: g.id, label: g.name }))];
  return (
    <FormCard
      title="Group mappings"
      description="When the IdP's groups attribute contains a value listed here, the person joins the Atrium group and/or gets the role. Owner is never granted by SSO."
      onSubmit={submit}
    >
      {state.groupMappings.length ? (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200" aria-label="Group mappings">
          {state.groupMappings.map((m) => (
            <li key={m.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm">
              <span>
                <span className="font-mono text-xs">{m.idpValue}</span> → {[m.groupName ? `group ${m.groupName}` : null, m.role ? `role ${m.role}` : null].filter(Boolean).join(", ")}
              </span>
              {canWrite ? (
                <Button variant="danger" size="sm" disabled={remove.busy} aria-label={`Remove mapping ${m.idpValue}`} onClick={() => void remove.run("DELETE", `/api/sso/group-mappings/${m.id}`, undefined, "Mapping removed.")}>
                  Remove
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-600">No mappings yet.</p>
      )}
      <ErrorAlert error={remove.error} />
      {remove.status ? <StatusMessage>{remove.status}</StatusMessage> : null}
      {canWrite ? (
        <>
          <div className="grid gap-4 sm:grid-cols-3">
            <TextField label="IdP group value" value={idpValue} onChange={(e) => setIdpValue(e.target.value)} placeholder="analysts" />
            <SelectField label="Atrium group" options={groupOptions} value={groupId} onChange={(e) => setGroupId(e.target.value)} />
            <SelectField label="Role" options={ROLE_OPTIONS} value={role} onChange={(e) => setRole(e.target.value)} />
          </div>
          <ErrorAlert error={add.error} />
          {add.status ? <StatusMessage>{add.status}</StatusMessage> : null}
          <Button type="submit" variant="secondary" disabled={add.busy || !idpValue.trim()}>
            Add mapping
          </Button>
        </>
      ) : null}
    </FormCard>
  );
}
