"use client";

import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { TextField } from "@/app/_components/field";

const REFUSED = "Email or password is incorrect, or the account is locked. Try again, or ask your administrator.";

function messageFor(error: string): string {
  if (error.startsWith("RateLimited:")) {
    const seconds = Number(error.slice("RateLimited:".length));
    const minutes = Math.max(1, Math.ceil((Number.isFinite(seconds) ? seconds : 60) / 60));
    return `Too many sign-in attempts from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  return REFUSED;
}

/**
 * Email + password through next-auth's credentials providers. One message for
 * every refusal, so nobody learns which accounts exist or are locked.
 */
export function PasswordSignInForm({
  provider,
  tenant,
  initialEmail = "",
  destination,
}: {
  provider: "tenant-password" | "operator-password";
  tenant?: string;
  initialEmail?: string;
  destination: string;
}) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const credentials = tenant ? { tenant, email, password } : { email, password };
      const r = await signIn(provider, { redirect: false, ...credentials });
      if (r?.ok && !r.error) {
        window.location.assign(destination);
        return;
      }
      setError(messageFor(r?.error ?? ""));
      setPassword("");
    } catch {
      setError("Atrium could not be reached. Check your connection and try again.");
    }
    setBusy(false);
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Sign in" noValidate>
      <ErrorAlert error={error ? { message: error } : null} />
      <TextField label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" className="w-full" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
