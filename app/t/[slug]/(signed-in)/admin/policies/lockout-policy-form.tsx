"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard } from "@/app/_components/card";
import { WholeNumberField } from "@/app/_components/field";
import { humanDuration, numberOrNull } from "@/lib/ui/format";
import type { LockoutPolicy } from "@/lib/ui/types";
import { usePolicySave } from "./use-policy-save";

function durationHint(value: string, range: string) {
  const n = numberOrNull(value);
  return n === null ? range : `${humanDuration(n)}. ${range}`;
}

export function LockoutPolicyForm({ initial, canWrite }: { initial: LockoutPolicy; canWrite: boolean }) {
  const [threshold, setThreshold] = useState(String(initial.threshold));
  const [windowSeconds, setWindowSeconds] = useState(String(initial.windowSeconds));
  const [durationSeconds, setDurationSeconds] = useState(String(initial.durationSeconds));
  const { error, saved, busy, save } = usePolicySave<LockoutPolicy>("/api/policies/lockout");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await save({ threshold: numberOrNull(threshold), windowSeconds: numberOrNull(windowSeconds), durationSeconds: numberOrNull(durationSeconds) });
  }

  return (
    <FormCard
      title="Sign-in lockout"
      description="After this many failed sign-ins within the counting window, the account is locked for the lock duration."
      onSubmit={submit}
    >
      <div className="grid gap-4 sm:grid-cols-3">
        <WholeNumberField
          label="Failures before lock"
          min={3}
          max={100}
          disabled={!canWrite}
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
          hint="3 to 100."
        />
        <WholeNumberField
          label="Counting window (seconds)"
          min={60}
          max={86400}
          disabled={!canWrite}
          value={windowSeconds}
          onChange={(e) => setWindowSeconds(e.target.value)}
          hint={durationHint(windowSeconds, "Between 1 minute and 24 hours.")}
        />
        <WholeNumberField
          label="Lock duration (seconds)"
          min={60}
          max={86400}
          disabled={!canWrite}
          value={durationSeconds}
          onChange={(e) => setDurationSeconds(e.target.value)}
          hint={durationHint(durationSeconds, "Between 1 minute and 24 hours.")}
        />
      </div>
      <ErrorAlert error={error} />
      {saved ? <StatusMessage>Lockout policy saved.</StatusMessage> : null}
      {canWrite ? (
        <Button type="submit" disabled={busy}>
          Save lockout policy
        </Button>
      ) : null}
    </FormCard>
  );
}
