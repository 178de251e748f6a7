import { z } from "zod";
import { apiRoute } from "@/lib/http/api-route";
import { sessionPolicySchema } from "@/lib/auth/session-policy";
import { getSessionPolicy, setSessionPolicy } from "@/lib/policies/tenant-policies";
import { badRequest } from "@/lib/http/errors";

// Shape here; the bounds depend on configuration, so they are checked per request.
const shape = z.object({ maxSessionSeconds: z.unknown(), idleTimeoutSeconds: z.unknown() }).strict();

export const GET = apiRoute({ auth: "tenant", permission: "policies:read" }, async (ctx) => getSessionPolicy(ctx));
export const PUT = apiRoute({ auth: "tenant", permission: "policies:write", body: shape }, async (ctx, { body }) => {
  const parsed = sessionPolicySchema().safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message }));
    throw badRequest(issues[0]?.message ?? "Invalid session policy.", { issues });
  }
  return setSessionPolicy(ctx, parsed.data);
});
