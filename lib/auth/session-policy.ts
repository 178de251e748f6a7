import { z } from "zod";
import { config } from "@/lib/config";

/**
 * Bounds on what a tenant admin may choose. Production bounds: a session lasts
 * between 15 minutes and 30 days; idle timeout between 5 minutes and 24 hours,
 * never longer than the maximum duration. The test configuration
 * (ATRIUM_TEST_SHORT_SESSIONS, refused in production) lowers both minimums to
 * 1 second so end-to-end tests can watch sessions end.
 */
export function sessionPolicyBounds() {
  const short = config().ATRIUM_TEST_SHORT_SESSIONS;
  return {
    maxSeconds: { min: short ? 1 : 15 * 60, max: 30 * 86_400 },
    idleSeconds: { min: short ? 1 : 5 * 60, max: 24 * 3600 },
  };
}

function human(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? "" : "s"}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? "" : "s"}`;
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

export function sessionPolicySchema() {
  const b = sessionPolicyBounds();
  return z
    .object({
      maxSessionSeconds: z
        .number({ error: "Maximum session duration must be a number of seconds." })
        .int("Maximum session duration must be a whole number of seconds.")
        .min(b.maxSeconds.min, `Maximum session duration must be at least ${human(b.maxSeconds.min)}.`)
        .max(b.maxSeconds.max, `Maximum session duration can be at most ${human(b.maxSeconds.max)}.`),
      idleTimeoutSeconds: z
        .number({ error: "Idle timeout must be a number of seconds." })
        .int("Idle timeout must be a whole number of seconds.")
        .min(b.idleSeconds.min, `Idle timeout must be at least ${human(b.idleSeconds.min)}.`)
        .max(b.idleSeconds.max, `Idle timeout can be at most ${human(b.idleSeconds.max)}.`),
    })
    .strict()
    .refine((p) => p.idleTimeoutSeconds <= p.maxSessionSeconds, {
      path: ["idleTimeoutSeconds"],
      message: "Idle timeout cannot be longer than the maximum session duration.",
    });
}

export type SessionPolicy = z.infer<ReturnType<typeof sessionPolicySchema>>;

export const lockoutPolicySchema = z
  .object({
    threshold: z.number().int().min(3, "Lock after at least 3 failures.").max(100, "Lock after at most 100 failures."),
    windowSeconds: z.number().int().min(60, "The counting window must be at least 1 minute.").max(86_400, "The counting window can be at most 24 hours."),
    durationSeconds: z.number().int().min(60, "A lock must last at least 1 minute.").max(86_400, "A lock can last at most 24 hours."),
  })
  .strict();

export type LockoutPolicy = z.infer<typeof lockoutPolicySchema>;
