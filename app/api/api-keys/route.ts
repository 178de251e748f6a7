import { apiRoute } from "@/lib/http/api-route";
import { createApiKey, createApiKeySchema, listApiKeys } from "@/lib/auth/api-keys";

export const GET = apiRoute({ auth: "tenant", permission: "apiKeys:read" }, async (ctx) => ({ apiKeys: await listApiKeys(ctx) }));
export const POST = apiRoute({ auth: "tenant", permission: "apiKeys:write", body: createApiKeySchema }, async (ctx, { body }) => createApiKey(ctx, body));
