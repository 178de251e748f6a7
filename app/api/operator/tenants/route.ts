import { apiRoute } from "@/lib/http/api-route";
import { createTenant, createTenantSchema, listTenants } from "@/lib/tenancy/create-tenant";

export const GET = apiRoute({ auth: "operator" }, async () => ({ tenants: await listTenants() }));
export const POST = apiRoute({ auth: "operator", body: createTenantSchema }, async (ctx, { body }) => createTenant(body, ctx.actor, ctx.meta));
