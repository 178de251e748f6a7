"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard } from "@/app/_components/card";
import { WholeNumberField } from "@/app/_components/field";
import { humanDuration, numberOrNull } from "@/lib/ui/format";
import type { Bounds, SessionPolicy } from "@/lib/ui/types";
import { usePolicySave } from "./use-policy-save";

function hint(value: string, bounds: Bounds) {
  const n = numberOrNull(value);
  const range = `Between ${humanDuration(bounds.min)} and ${humanDuration(bounds.max)}.`;
  return n === null ? range : `${humanDuration(n)}. ${range}`;
}

export function SessionPolicyForm({ initial, canWrite }: { initial: SessionPolicy; canWrite: boolean }) {
  const [maxSeconds, setMaxSeconds] = useState(String(initial.maxSessionSeconds));
  const [idleSeconds, setIdleSeconds] = useState(String(initial.idleTimeoutSeconds));
  const [bounds, setBounds] = useState(initial.bounds);
  const { error, saved, busy, save } = usePolicySave<SessionPolicy>("/api/policies/session");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const r = await save({ maxSessionSeconds: numberOrNull(maxSeconds), idleTimeoutSeconds: numberOrNull(idleSeconds) });
    if (r) {
      setMaxSeconds(String(r.maxSessionSeconds));
      setIdleSeconds(String(r.idleTimeoutSeconds));
      if (r.bounds) setBounds(r.bounds);
    }
  }

  return (
    <FormCard
      title="Session policy"
      description="A session ends at its maximum duration however active the person is, or earlier after the idle timeout without activity. Changes apply to sessions started from now on; the idle timeout applies to every session at once."
      onSubmit={submit}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <WholeNumberField
          label="Maximum session duration (seconds)"
          min={bounds.maxSeconds.min}
          max={bounds.maxSeconds.max}
          disabled={!canWrite}
          value={maxSeconds}
          onChange={(e) => setMaxSeconds(e.target.value)}
          hint={hint(maxSeconds, bounds.maxSeconds)}
        />
        <WholeNumberField
          label="Idle timeout (seconds)"
          min={bounds.idleSeconds.min}
          max={bounds.idleSeconds.max}
          disabled={!canWrite}
          value={idleSeconds}
          onChange={(e) => setIdleSeconds(e.target.value)}
          hint={hint(idleSeconds, bounds.idleSeconds)}
        />
      </div>
      <ErrorAlert error={error} />
      {saved ? <StatusMessage>Session policy saved.</StatusMessage> : null}
      {canWrite ? (
        <Button type="submit" disabled={busy}>
          Save session policy
        </Button>
      ) : null}
    </FormCard>
  );
}
