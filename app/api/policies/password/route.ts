import { apiRoute } from "@/lib/http/api-route";
import { passwordPolicySchema } from "@/lib/auth/password-policy";
import { getPasswordPolicy, setPasswordPolicy } from "@/lib/policies/tenant-policies";

export const GET = apiRoute({ auth: "tenant", permission: "policies:read" }, async (ctx) => getPasswordPolicy(ctx));
export const PUT = apiRoute({ auth: "tenant", permission: "policies:write", body: passwordPolicySchema }, async (ctx, { body }) => setPasswordPolicy(ctx, body));
