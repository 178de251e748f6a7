import { apiRoute } from "@/lib/http/api-route";
import { lockoutPolicySchema } from "@/lib/auth/session-policy";
import { getLockoutPolicy, setLockoutPolicy } from "@/lib/policies/tenant-policies";

export const GET = apiRoute({ auth: "tenant", permission: "policies:read" }, async (ctx) => getLockoutPolicy(ctx));
export const PUT = apiRoute({ auth: "tenant", permission: "policies:write", body: lockoutPolicySchema }, async (ctx, { body }) => setLockoutPolicy(ctx, body));
