import { apiRoute } from "@/lib/http/api-route";
import { auditQuerySchema, listAuditEvents } from "@/lib/audit/list-audit-events";

export const GET = apiRoute({ auth: "tenant", permission: "audit:read", query: auditQuerySchema }, async (ctx, { query }) => listAuditEvents(ctx, query));
