import { apiRoute } from "@/lib/http/api-route";
import { revokeApiKey } from "@/lib/auth/api-keys";

export const DELETE = apiRoute({ auth: "tenant", permission: "apiKeys:write" }, async (ctx, { params }) => {
  await revokeApiKey(ctx, params.id!);
  return { ok: true };
});
