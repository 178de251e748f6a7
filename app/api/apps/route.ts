import { apiRoute } from "@/lib/http/api-route";
import { createApp, createAppSchema, listApps } from "@/lib/apps/manage-apps";

export const GET = apiRoute({ auth: "self" }, async (ctx) => ({ apps: await listApps(ctx) }));
export const POST = apiRoute({ auth: "tenant", permission: "apps:write", body: createAppSchema }, async (ctx, { body }) => ({ app: await createApp(ctx, body) }));
