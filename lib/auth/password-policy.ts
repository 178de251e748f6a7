import { z } from "zod";

/** Hard limits whatever the tenant chooses: argon2 input is bounded to keep hashing cheap to refuse. */
export const PASSWORD_MAX_LENGTH = 256;

export const passwordPolicySchema = z
  .object({
    minLength: z.number().int().min(8, "Minimum length must be at least 8.").max(128, "Minimum length can be at most 128."),
    requireLower: z.boolean(),
    requireUpper: z.boolean(),
    requireDigit: z.boolean(),
    requireSymbol: z.boolean(),
    history: z.number().int().min(0, "History must be 0 or more.").max(24, "History can remember at most 24 passwords."),
    maxAgeDays: z.number().int().min(1, "Expiry must be at least 1 day.").max(3650, "Expiry can be at most 3650 days.").nullable(),
  })
  .strict();

export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

export interface TenantPasswordColumns {
  passwordMinLength: number;
  passwordRequireLower: boolean;
  passwordRequireUpper: boolean;
  passwordRequireDigit: boolean;
  passwordRequireSymbol: boolean;
  passwordHistory: number;
  passwordMaxAgeDays: number | null;
}

export function passwordPolicyOf(t: TenantPasswordColumns): PasswordPolicy {
  return {
    minLength: t.passwordMinLength,
    requireLower: t.passwordRequireLower,
    requireUpper: t.passwordRequireUpper,
    requireDigit: t.passwordRequireDigit,
    requireSymbol: t.passwordRequireSymbol,
    history: t.passwordHistory,
    maxAgeDays: t.passwordMaxAgeDays,
  };
}

export function passwordPolicyColumns(p: PasswordPolicy): TenantPasswordColumns {
  return {
    passwordMinLength: p.minLength,
    passwordRequireLower: p.requireLower,
    passwordRequireUpper: p.requireUpper,
    passwordRequireDigit: p.requireDigit,
    passwordRequireSymbol: p.requireSymbol,
    passwordHistory: p.history,
    passwordMaxAgeDays: p.maxAgeDays,
  };
}

/** Every rule the password breaks, each as a sentence the user can act on (empty when acceptable). */
export function passwordViolations(password: string, policy: PasswordPolicy, identity: { email?: string } = {}): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push(`Use at least ${policy.minLength} characters (this one has ${length}).`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`Use at most ${PASSWORD_MAX_LENGTH} characters.`);
  if (policy.requireLower && !/\p{Ll}/u.test(password)) problems.push("Include a lowercase letter.");
  if (policy.requireUpper && !/\p{Lu}/u.test(password)) problems.push("Include an uppercase letter.");
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push("Include a digit.");
  if (policy.requireSymbol && !/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push("Include a symbol (for example ! # % or &).");
  const local = identity.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) problems.push("Do not include your email name in your password.");
  return problems;
}

export function isPasswordExpired(policy: Pick<PasswordPolicy, "maxAgeDays">, changedAt: Date | null, now = new Date()): boolean {
  if (policy.maxAgeDays === null || !changedAt) return false;
  return now.getTime() - changedAt.getTime() >= policy.maxAgeDays * 86_400_000;
}
