"use client";

import { useState } from "react";
import { ErrorAlert } from "@/app/_components/alert";
import { PageHeader } from "@/app/_components/card";
import { useApiResource } from "@/lib/ui/use-api-resource";
import { SsoIdpCard } from "./sso-idp-card";
import { SsoImportCard } from "./sso-import-card";
import { SsoMappingCard } from "./sso-mapping-card";
import { SsoPolicyCard } from "./sso-policy-card";
import { SsoSpCard } from "./sso-sp-card";
import type { SsoState } from "./sso-types";

/** /t/<slug>/admin/sso: the tenant's SAML connection (docs/sso.md "Configuration"). */
export function SsoView({ canWrite }: { canWrite: boolean }) {
  const loaded = useApiResource<SsoState>("/api/sso");
  const [override, setOverride] = useState<SsoState | null>(null);
  const state = override ?? loaded.data;
  // Every write route answers with the whole new state; group mappings answer with the mapping, so reload then.
  const onState = (result: unknown) => {
    if (result && typeof result === "object" && "sp" in result && "configured" in result) setOverride(result as SsoState);
    else {
      setOverride(null);
      loaded.reload();
    }
  };

  return (
    <div className="space-y-6">
      <PageHeader
        title="Single sign-on"
        description="Let people sign in with your company's identity provider (SAML 2.0): import its metadata, give it Atrium's details, then enable SSO."
      />
      <ErrorAlert error={state ? null : loaded.error} />
      {!state && !loaded.error ? <p className="text-sm text-slate-500">Loading…</p> : null}
      {state ? (
        <>
          {state.connection ? <Summary state={state} /> : null}
          <SsoSpCard state={state} canWrite={canWrite} onState={onState} />
          {canWrite ? <SsoImportCard state={state} onState={onState} /> : null}
          <SsoIdpCard state={state} canWrite={canWrite} onState={onState} />
          {state.connection ? (
            <>
              <SsoPolicyCard state={state} canWrite={canWrite} onState={onState} />
              <SsoMappingCard state={state} canWrite={canWrite} onState={onState} />
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function Summary({ state }: { state: SsoState }) {
  const c = state.connection!;
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-xl border border-slate-200 bg-white px-6 py-4 text-sm shadow-sm" data-testid="sso-summary">
      <span className={`rounded-full px-2.5 py-0.5 text-xs font-medium ${c.enabled ? "bg-emerald-100 text-emerald-800" : "bg-slate-100 text-slate-700"}`}>
        {c.enabled ? "SSO enabled" : "SSO disabled"}
      </span>
      {c.policy.requireSso ? <span className="rounded-full bg-indigo-100 px-2.5 py-0.5 text-xs font-medium text-indigo-800">SSO required</span> : null}
      <span className="text-slate-700">
        Identity provider: <span className="font-mono text-xs break-all">{c.idp.entityId}</span>
      </span>
      <a href={state.sp.testUrl} className="ml-auto font-medium text-indigo-700 underline-offset-4 hover:underline">
        Test connection
      </a>
    </div>
  );
}
