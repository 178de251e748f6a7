"use client";

import { ErrorAlert } from "@/app/_components/alert";
import { PageHeader } from "@/app/_components/card";
import type { LockoutPolicy, PasswordPolicy, SessionPolicy } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";
import { LockoutPolicyForm } from "./lockout-policy-form";
import { PasswordPolicyForm } from "./password-policy-form";
import { SessionPolicyForm } from "./session-policy-form";

export function PoliciesView({ canWrite }: { canWrite: boolean }) {
  const session = useApiResource<SessionPolicy>("/api/policies/session");
  const password = useApiResource<PasswordPolicy>("/api/policies/password");
  const lockout = useApiResource<LockoutPolicy>("/api/policies/lockout");
  const loadError = (session.data ? null : session.error) ?? (password.data ? null : password.error) ?? (lockout.data ? null : lockout.error);

  return (
    <div className="space-y-6">
      <PageHeader title="Policies" description="How long sessions last, what passwords must look like, and when repeated failures lock an account." />
      <ErrorAlert error={loadError} />
      {session.data ? <SessionPolicyForm initial={session.data} canWrite={canWrite} /> : null}
      {password.data ? <PasswordPolicyForm initial={password.data} canWrite={canWrite} /> : null}
      {lockout.data ? <LockoutPolicyForm initial={lockout.data} canWrite={canWrite} /> : null}
      {!loadError && (!session.data || !password.data || !lockout.data) ? <p className="text-sm text-slate-500">Loading…</p> : null}
    </div>
  );
}
