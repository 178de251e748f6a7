import { apiRoute } from "@/lib/http/api-route";
import { workspaceCall } from "@/lib/workspace/runtime";

export const GET = apiRoute({ auth: "tenant", permission: "engines:read" }, async (ctx) => ({ engines: await workspaceCall((s) => s.listEngines(ctx.tenantId)) }));
