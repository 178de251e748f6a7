"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button, buttonClasses } from "@/app/_components/button";
import { CenteredCard } from "@/app/_components/centered-card";
import { TextField } from "@/app/_components/field";
import { PasswordRules } from "@/app/_components/password-rules";
import { api, toApiError } from "@/lib/ui/api-client";
import type { SetPasswordInfo } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

const INVALID = "This link is invalid or has expired. Ask your administrator for a new one.";

export function SetPasswordForm({ token }: { token: string }) {
  const info = useApiResource<SetPasswordInfo>(`/api/set-password/${encodeURIComponent(token)}`);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<DisplayError | null>(null);
  const [done, setDone] = useState<{ signInUrl: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (password !== confirm) {
      setError({ message: "The passwords do not match." });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ ok: boolean; signInUrl: string }>("POST", "/api/set-password", { token, password });
      setDone({ signInUrl: r.signInUrl });
      setPassword("");
      setConfirm("");
    } catch (err) {
      const apiError = toApiError(err);
      setError(apiError.status === 404 ? { message: INVALID } : apiError);
    }
    setBusy(false);
  }

  if (info.error) {
    return (
      <CenteredCard title="Set your password">
        <ErrorAlert error={{ message: info.error.status === 404 ? INVALID : info.error.message }} />
        <Link href="/" className={`${buttonClasses("secondary")} mt-4`}>
          Go to the start page
        </Link>
      </CenteredCard>
    );
  }
  if (!info.data) {
    return (
      <CenteredCard title="Set your password">
        <p className="text-sm text-slate-600">Checking your link…</p>
      </CenteredCard>
    );
  }

  const { email, tenantName, purpose, policy } = info.data;
  return (
    <CenteredCard
      title={purpose === "reset" ? "Choose a new password" : "Set your password"}
      subtitle={
        <>
          For <strong className="font-medium text-slate-900">{email}</strong> at <strong className="font-medium text-slate-900">{tenantName}</strong>.
        </>
      }
    >
      {done ? (
        <div className="space-y-4">
          <StatusMessage>Your password is set.</StatusMessage>
          <a href={done.signInUrl} className={buttonClasses("primary")}>
            Sign in
          </a>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-4" noValidate>
          <PasswordRules policy={policy} />
          <ErrorAlert error={error} />
          <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <TextField
            label="Confirm password"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
          <Button type="submit" className="w-full" disabled={busy}>
            Set password
          </Button>
        </form>
      )}
    </CenteredCard>
  );
}
