import { z } from "zod";
import { apiRoute, parse } from "@/lib/http/api-route";
import { sessionPolicySchema } from "@/lib/auth/session-policy";
import { getSessionPolicy, setSessionPolicy } from "@/lib/policies/tenant-policies";

// Any object here; the fields and their bounds (which depend on configuration) are checked per request.
export const GET = apiRoute({ auth: "tenant", permission: "policies:read" }, async (ctx) => getSessionPolicy(ctx));
export const PUT = apiRoute({ auth: "tenant", permission: "policies:write", body: z.looseObject({}) }, async (ctx, { body }) =>
  setSessionPolicy(ctx, parse(sessionPolicySchema(), body, "body")),
);
