import { db } from "@/lib/db/client";
import { log } from "@/lib/log";
import type { RequestMeta } from "@/lib/http/request-meta";

export type ActorType = "user" | "api_key" | "operator" | "system" | "anonymous";

export interface Actor {
  type: ActorType;
  id?: string | null;
  label?: string;
}

export interface AuditInput {
  tenantId: string | null;
  actor: Actor;
  action: string;
  outcome?: "success" | "failure";
  reason?: string;
  target?: { type: string; id: string };
  meta?: RequestMeta;
  metadata?: Record<string, unknown>;
}

/**
 * Appends one event to the audit trail (append-only in the database). Awaited:
 * a security-relevant action is not reported done before it is recorded.
 */
export async function recordAuditEvent(e: AuditInput): Promise<void> {
  await db().auditEvent.create({
    data: {
      tenantId: e.tenantId,
      actorType: e.actor.type,
      actorId: e.actor.id ?? null,
      actorLabel: e.actor.label ?? "",
      action: e.action,
      outcome: e.outcome ?? "success",
      reason: e.reason ?? null,
      targetType: e.target?.type ?? null,
      targetId: e.target?.id ?? null,
      ip: e.meta?.ip ?? "",
      userAgent: e.meta?.userAgent ?? "",
      requestId: e.meta?.requestId ?? "",
      metadata: (e.metadata ?? {}) as object,
    },
  });
  log().info({ audit: e.action, outcome: e.outcome ?? "success", reason: e.reason, tenantId: e.tenantId, requestId: e.meta?.requestId }, "audit");
}
