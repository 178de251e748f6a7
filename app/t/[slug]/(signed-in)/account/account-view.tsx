"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage, type DisplayError } from "@/app/_components/alert";
import { Button, buttonClasses } from "@/app/_components/button";
import { Card, FormCard, PageHeader } from "@/app/_components/card";
import { TextField } from "@/app/_components/field";
import { api, toApiError } from "@/lib/ui/api-client";

export function AccountView({ slug, email, expired }: { slug: string; email: string; expired: boolean }) {
  const base = `/t/${encodeURIComponent(slug)}`;
  const router = useRouter();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<DisplayError | null>(null);
  const [changed, setChanged] = useState(false);
  const [busy, setBusy] = useState(false);
  const [everywhereError, setEverywhereError] = useState<DisplayError | null>(null);
  const [everywhereBusy, setEverywhereBusy] = useState(false);

  async function changePassword(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setChanged(false);
    if (next !== confirm) {
      setError({ message: "The passwords do not match." });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api<{ ok: boolean; endedSessions: number }>("POST", "/api/me/password", { currentPassword: current, newPassword: next });
      setChanged(true);
      setCurrent("");
      setNext("");
      setConfirm("");
    } catch (err) {
      setError(toApiError(err));
    }
    setBusy(false);
  }

  async function signOutEverywhere() {
    setEverywhereBusy(true);
    setEverywhereError(null);
    try {
      await api<{ ok: boolean; endedSessions: number }>("POST", "/api/me/sign-out-everywhere", {});
      router.replace(`${base}/sign-in?signedout=1`);
    } catch (err) {
      setEverywhereError(toApiError(err));
      setEverywhereBusy(false);
    }
  }

  return (
    <div className="space-y-6">
      <PageHeader title="Account" description={`Signed in as ${email}.`} />
      {expired && !changed ? <ErrorAlert error={{ message: "Your password has expired. Choose a new one to continue." }} /> : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <FormCard title="Change password" onSubmit={changePassword}>
          <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
          <TextField label="Current password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          <TextField label="New password" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
          <TextField label="Confirm new password" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          <ErrorAlert error={error} />
          {changed ? <StatusMessage>Password changed. Your other sessions have been signed out.</StatusMessage> : null}
          {changed && expired ? (
            <Link href={`${base}/app`} className={buttonClasses("secondary")}>
              Continue to Home
            </Link>
          ) : null}
          <Button type="submit" disabled={busy}>
            Change password
          </Button>
        </FormCard>
        <Card title="Sessions" description="Signed in on a computer you no longer use? End every session of your account, this one included.">
          <div className="space-y-4">
            <ErrorAlert error={everywhereError} />
            <Button variant="danger" disabled={everywhereBusy} onClick={signOutEverywhere}>
              Sign out everywhere
            </Button>
          </div>
        </Card>
      </div>
    </div>
  );
}
