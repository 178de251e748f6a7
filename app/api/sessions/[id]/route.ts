import { apiRoute } from "@/lib/http/api-route";
import { revokeSession } from "@/lib/auth/manage-sessions";

export const DELETE = apiRoute({ auth: "tenant", permission: "sessions:write" }, async (ctx, { params }) => {
  await revokeSession(ctx, params.id!);
  return { ok: true };
});
