"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard } from "@/app/_components/card";
import { CheckboxField, WholeNumberField } from "@/app/_components/field";
import { numberOrNull } from "@/lib/ui/format";
import type { PasswordPolicy } from "@/lib/ui/types";
import { usePolicySave } from "./use-policy-save";

export function PasswordPolicyForm({ initial, canWrite }: { initial: PasswordPolicy; canWrite: boolean }) {
  const [minLength, setMinLength] = useState(String(initial.minLength));
  const [requireLower, setRequireLower] = useState(initial.requireLower);
  const [requireUpper, setRequireUpper] = useState(initial.requireUpper);
  const [requireDigit, setRequireDigit] = useState(initial.requireDigit);
  const [requireSymbol, setRequireSymbol] = useState(initial.requireSymbol);
  const [history, setHistory] = useState(String(initial.history));
  const [maxAgeDays, setMaxAgeDays] = useState(initial.maxAgeDays === null ? "" : String(initial.maxAgeDays));
  const { error, saved, busy, save } = usePolicySave<PasswordPolicy>("/api/policies/password");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await save({
      minLength: numberOrNull(minLength),
      requireLower,
      requireUpper,
      requireDigit,
      requireSymbol,
      history: numberOrNull(history),
      maxAgeDays: numberOrNull(maxAgeDays),
    });
  }

  return (
    <FormCard title="Password policy" description="Applies to new passwords: set-password links and password changes." onSubmit={submit}>
      <div className="grid gap-4 sm:grid-cols-3">
        <WholeNumberField
          label="Minimum length"
          min={8}
          max={128}
          disabled={!canWrite}
          value={minLength}
          onChange={(e) => setMinLength(e.target.value)}
          hint="8 to 128 characters."
        />
        <WholeNumberField
          label="Remember previous passwords"
          min={0}
          max={24}
          disabled={!canWrite}
          value={history}
          onChange={(e) => setHistory(e.target.value)}
          hint="People cannot reuse this many of their latest passwords (0 to 24)."
        />
        <WholeNumberField
          label="Expire after (days, empty = never)"
          required={false}
          min={1}
          max={3650}
          disabled={!canWrite}
          value={maxAgeDays}
          onChange={(e) => setMaxAgeDays(e.target.value)}
          hint="1 to 3650 days."
        />
      </div>
      <fieldset className="grid gap-2 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-medium text-slate-700">Characters required</legend>
        <CheckboxField label="Require lowercase" disabled={!canWrite} checked={requireLower} onChange={(e) => setRequireLower(e.target.checked)} />
        <CheckboxField label="Require uppercase" disabled={!canWrite} checked={requireUpper} onChange={(e) => setRequireUpper(e.target.checked)} />
        <CheckboxField label="Require digit" disabled={!canWrite} checked={requireDigit} onChange={(e) => setRequireDigit(e.target.checked)} />
        <CheckboxField label="Require symbol" disabled={!canWrite} checked={requireSymbol} onChange={(e) => setRequireSymbol(e.target.checked)} />
      </fieldset>
      <ErrorAlert error={error} />
      {saved ? <StatusMessage>Password policy saved.</StatusMessage> : null}
      {canWrite ? (
        <Button type="submit" disabled={busy}>
          Save password policy
        </Button>
      ) : null}
    </FormCard>
  );
}
