import { apiRoute } from "@/lib/http/api-route";
import { getApp, updateApp, updateAppSchema } from "@/lib/apps/manage-apps";

export const GET = apiRoute({ auth: "self" }, async (ctx, { params }) => ({ app: await getApp(ctx, params.id!) }));
export const PUT = apiRoute({ auth: "tenant", permission: "apps:write", body: updateAppSchema }, async (ctx, { body, params }) => ({ app: await updateApp(ctx, params.id!, body) }));
