"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { TextField } from "@/app/_components/field";
import { api, toApiError, type ApiError } from "@/lib/ui/api-client";

export function DiscoverForm() {
  const [email, setEmail] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ signInUrl: string }>("POST", "/api/discover", { email });
      window.location.assign(r.signInUrl);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <ErrorAlert error={error} />
      <TextField label="Work email" type="email" name="email" autoComplete="email" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
      <Button type="submit" className="w-full" disabled={busy}>
        Continue
      </Button>
    </form>
  );
}
