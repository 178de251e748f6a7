import type { PasswordPolicy } from "@/lib/ui/types";

export function passwordRuleList(policy: PasswordPolicy): string[] {
  const rules = [`At least ${policy.minLength} characters.`];
  if (policy.requireLower) rules.push("A lowercase letter.");
  if (policy.requireUpper) rules.push("An uppercase letter.");
  if (policy.requireDigit) rules.push("A digit.");
  if (policy.requireSymbol) rules.push("A symbol (anything other than a letter or digit).");
  if (policy.history > 0) rules.push(`Not one of your last ${policy.history} password${policy.history === 1 ? "" : "s"}.`);
  if (policy.maxAgeDays) rules.push(`It expires after ${policy.maxAgeDays} day${policy.maxAgeDays === 1 ? "" : "s"}.`);
  return rules;
}

export function PasswordRules({ policy }: { policy: PasswordPolicy }) {
  return (
    <div className="rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-700">
      <p className="font-medium text-slate-900">Your password needs</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5">
        {passwordRuleList(policy).map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </div>
  );
}
