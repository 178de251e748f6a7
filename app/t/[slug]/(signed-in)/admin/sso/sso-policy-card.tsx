"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Card, FormCard } from "@/app/_components/card";
import { CheckboxField, SelectField, TextField, WholeNumberField } from "@/app/_components/field";
import { numberOrNull } from "@/lib/ui/format";
import type { AttributeField, GrantableRole, SsoState } from "./sso-types";
import { useSsoAction } from "./use-sso-action";

const ATTRIBUTE_LABELS: Record<AttributeField, string> = {
  email: "Email attribute",
  firstName: "First name attribute",
  lastName: "Last name attribute",
  displayName: "Display name attribute",
  groups: "Groups attribute",
};
const ROLES: { value: GrantableRole; label: string }[] = [
  { value: "member", label: "Member" },
  { value: "editor", label: "Editor" },
  { value: "admin", label: "Administrator" },
];

/** Enabling SSO, its security switches, attribute names and JIT provisioning; then require-SSO with break-glass users. */
export function SsoPolicyCard({ state, canWrite, onState }: { state: SsoState; canWrite: boolean; onState: (r: unknown) => void }) {
  const c = state.connection!;
  const [enabled, setEnabled] = useState(c.enabled);
  const [idpInitiated, setIdpInitiated] = useState(c.policy.allowIdpInitiated);
  const [assertionsSigned, setAssertionsSigned] = useState(c.policy.wantAssertionsSigned);
  const [responseSigned, setResponseSigned] = useState(c.policy.wantResponseSigned);
  const [sha1, setSha1] = useState(c.policy.allowSha1);
  const [skew, setSkew] = useState(String(c.policy.clockSkewSeconds));
  const [attributes, setAttributes] = useState(c.attributes);
  const [jit, setJit] = useState(c.jit.enabled);
  const [jitRole, setJitRole] = useState<GrantableRole>(c.jit.defaultRole);
  const [breakGlass, setBreakGlass] = useState(() => new Set(state.breakGlass.candidates.filter((u) => u.breakGlass).map((u) => u.id)));
  const [requireSso, setRequireSso] = useState(c.policy.requireSso);
  const policy = useSsoAction(onState);
  const glass = useSsoAction(onState);
  const require = useSsoAction(onState);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await policy.run(
      "PUT",
      "/api/sso",
      {
        enabled,
        allowIdpInitiated: idpInitiated,
        wantAssertionsSigned: assertionsSigned,
        wantResponseSigned: responseSigned,
        allowSha1: sha1,
        clockSkewSeconds: numberOrNull(skew),
        attributes,
        jit: { enabled: jit, defaultRole: jitRole },
      },
      "Sign-in settings saved.",
    );
  }

  return (
    <>
      <FormCard title="Sign-in settings" description="Nothing changes for your users until SSO is enabled." onSubmit={submit}>
        <CheckboxField label="Enable SSO" checked={enabled} disabled={!canWrite} onChange={(e) => setEnabled(e.target.checked)} hint="Shows “Sign in with SSO” on your sign-in page and accepts responses from the identity provider." />
        <CheckboxField
          label="Allow IdP-initiated sign-in"
          checked={idpInitiated}
          disabled={!canWrite}
          onChange={(e) => setIdpInitiated(e.target.checked)}
          hint="Accept unsolicited responses (a tile in the IdP's portal). Off is safer: every sign-in then starts at Atrium."
        />
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Signatures</legend>
          <CheckboxField label="Require signed assertions" checked={assertionsSigned} disabled={!canWrite} onChange={(e) => setAssertionsSigned(e.target.checked)} />
          <CheckboxField label="Require a signed response" checked={responseSigned} disabled={!canWrite} onChange={(e) => setResponseSigned(e.target.checked)} />
          <CheckboxField label="Accept SHA-1 signatures" checked={sha1} disabled={!canWrite} onChange={(e) => setSha1(e.target.checked)} hint="Only for old IdPs that cannot sign with SHA-256." />
        </fieldset>
        <WholeNumberField label="Allowed clock skew (seconds)" min={0} max={300} value={skew} disabled={!canWrite} onChange={(e) => setSkew(e.target.value)} hint="0 to 300." />
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Attributes</legend>
          <p className="text-xs text-slate-600">Leave empty to use the common names shown (tried in order).</p>
          <div className="grid gap-4 sm:grid-cols-2">
            {(Object.keys(ATTRIBUTE_LABELS) as AttributeField[]).map((f) => (
              <TextField
                key={f}
                label={ATTRIBUTE_LABELS[f]}
                value={attributes[f]}
                disabled={!canWrite}
                placeholder={state.attributeDefaults[f].join(", ")}
                title={state.attributeDefaults[f].join("\n")}
                onChange={(e) => setAttributes({ ...attributes, [f]: e.target.value })}
              />
            ))}
          </div>
        </fieldset>
        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Just-in-time provisioning</legend>
          <CheckboxField label="Create accounts on first SSO sign-in" checked={jit} disabled={!canWrite} onChange={(e) => setJit(e.target.checked)} hint="Otherwise only people who already have an Atrium account can sign in with SSO." />
          <SelectField label="Role for new accounts" options={ROLES} value={jitRole} disabled={!canWrite || !jit} onChange={(e) => setJitRole(e.target.value as GrantableRole)} hint="Group mappings below can grant more. Never owner." />
        </fieldset>
        <ErrorAlert error={policy.error} />
        {policy.status ? <StatusMessage>{policy.status}</StatusMessage> : null}
        {canWrite ? (
          <Button type="submit" disabled={policy.busy}>
            Save sign-in settings
          </Button>
        ) : null}
      </FormCard>

      <Card
        title="Require SSO"
        description="When required, passwords stop working for everyone except the break-glass administrators chosen here — they keep their password in case the identity provider fails. Requiring SSO needs SSO enabled and at least one active break-glass owner or administrator with a password."
      >
        <form
          aria-label="Break-glass administrators"
          className="space-y-3"
          onSubmit={async (e) => {
            e.preventDefault();
            await glass.run("PUT", "/api/sso/break-glass", { userIds: [...breakGlass] }, "Break-glass administrators saved.");
          }}
        >
          <fieldset className="space-y-2">
            <legend className="text-sm font-semibold text-slate-900">Break-glass administrators</legend>
            {state.breakGlass.candidates.map((u) => (
              <CheckboxField
                key={u.id}
                label={`${u.name || u.email} (${u.email}, ${u.role})`}
                checked={breakGlass.has(u.id)}
                disabled={!canWrite}
                hint={u.status !== "active" ? `Not usable: the account is ${u.status}.` : !u.hasPassword ? "Not usable: no password set." : undefined}
                onChange={(e) => {
                  const next = new Set(breakGlass);
                  if (e.target.checked) next.add(u.id);
                  else next.delete(u.id);
                  setBreakGlass(next);
                }}
              />
            ))}
          </fieldset>
          <ErrorAlert error={glass.error} />
          {glass.status ? <StatusMessage>{glass.status}</StatusMessage> : null}
          {canWrite ? (
            <Button type="submit" variant="secondary" disabled={glass.busy}>
              Save break-glass administrators
            </Button>
          ) : null}
        </form>
        <form
          aria-label="Require SSO setting"
          className="mt-6 space-y-3 border-t border-slate-200 pt-4"
          onSubmit={async (e) => {
            e.preventDefault();
            await require.run("PUT", "/api/sso", { requireSso }, requireSso ? "SSO is now required; passwords work only for break-glass administrators." : "SSO is no longer required.");
          }}
        >
          <CheckboxField label="Require SSO for everyone else" checked={requireSso} disabled={!canWrite} onChange={(e) => setRequireSso(e.target.checked)} />
          <ErrorAlert error={require.error} />
          {require.status ? <StatusMessage>{require.status}</StatusMessage> : null}
          {canWrite ? (
            <Button type="submit" disabled={require.busy}>
              Save require SSO
            </Button>
          ) : null}
        </form>
      </Card>
    </>
  );
}
