import { z } from "zod";
import type { TenantContext } from "@/lib/http/api-route";

const isoDate = z.iso.datetime({ offset: true, local: true, error: "Use an ISO 8601 date and time, e.g. 2026-11-24T09:30." }).transform((s) => new Date(s));

export const auditQuerySchema = z
  .object({
    action: z.string().max(100).optional(),
    outcome: z.enum(["success", "failure"], { error: "Outcome must be success or failure." }).optional(),
    actor: z.string().max(320).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    before: z.string().regex(/^\d{1,19}$/, "before must be a cursor from a previous page.").optional(),
    limit: z.coerce.number().int().min(1).max(500).optional().default(100),
  })
  .strict();

/** The tenant's audit trail, newest first, filtered; paginated by an opaque cursor. */
export async function listAuditEvents(ctx: TenantContext, q: z.infer<typeof auditQuerySchema>) {
  const rows = await ctx.db.auditEvent.findMany({
    where: {
      ...(q.action ? { action: { startsWith: q.action } } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.actor ? { actorLabel: { contains: q.actor, mode: "insensitive" } } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
      ...(q.before ? { seq: { lt: BigInt(q.before) } } : {}),
    },
    orderBy: { seq: "desc" },
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  return {
    events: page.map((e) => ({
      id: e.id,
      createdAt: e.createdAt,
      actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
      action: e.action,
      outcome: e.outcome,
      reason: e.reason,
      target: e.targetType && e.targetId ? { type: e.targetType, id: e.targetId } : null,
      ip: e.ip,
      userAgent: e.userAgent,
      requestId: e.requestId,
      metadata: e.metadata,
    })),
    // The cursor is an opaque position in the trail, not an id of anything.
    nextBefore: rows.length > q.limit ? String(page[page.length - 1]!.seq) : null,
  };
}
