import { db } from "@/lib/db/client";

/**
 * Tenant-scoped data access. Every query on a tenant-owned model made through
 * this client gets `tenantId = <authenticated tenant>` added to its filter, and
 * every create gets it set — whatever the caller passed. Route code therefore
 * cannot read or write another tenant's rows even with that tenant's ids in
 * hand: they simply are not found (404).
 *
 * The tenant id comes from the authenticated context (session or API key) and
 * never from the request.
 */
const TENANT_OWNED = new Set(["User", "Group", "GroupMember", "Session", "SetPasswordToken", "ApiKey", "AuditEvent", "TenantDomain", "App", "AppVersion", "AppShare", "Engine", "SsoConnection", "SsoGroupMapping"]);

type Args = Record<string, unknown> & { where?: Record<string, unknown>; data?: unknown; create?: Record<string, unknown> };

function scope(tenantId: string, operation: string, args: Args): Args {
  const a: Args = { ...args };
  switch (operation) {
    case "create":
      a.data = { ...(a.data as object), tenantId };
      break;
    case "createMany":
    case "createManyAndReturn":
      a.data = (Array.isArray(a.data) ? a.data : [a.data]).map((d) => ({ ...(d as object), tenantId }));
      break;
    case "upsert":
      a.where = { ...a.where, tenantId };
      a.create = { ...a.create, tenantId };
      break;
    default:
      // find*, update*, delete*, count, aggregate, groupBy
      a.where = { ...a.where, tenantId };
  }
  return a;
}

export function scopedDb(tenantId: string) {
  if (!tenantId) throw new Error("scopedDb needs the authenticated tenant id");
  return db().$extends({
    name: "tenant-scope",
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          if (!TENANT_OWNED.has(model)) return query(args);
          return query(scope(tenantId, operation, (args ?? {}) as Args) as typeof args);
        },
      },
    },
  });
}

export type ScopedDb = ReturnType<typeof scopedDb>;
