import { apiRoute } from "@/lib/http/api-route";
import { getTenantSettings, updateTenantSchema, updateTenantSettings } from "@/lib/tenancy/create-tenant";

export const GET = apiRoute({ auth: "tenant", permission: "tenant:read" }, async (ctx) => getTenantSettings(ctx.tenantId));
export const PATCH = apiRoute({ auth: "tenant", permission: "tenant:write", body: updateTenantSchema }, async (ctx, { body }) =>
  updateTenantSettings(ctx.tenantId, body, (e) => ctx.audit({ ...e, target: { type: "tenant", id: ctx.tenantId } })),
);
