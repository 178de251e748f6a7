import { apiRoute } from "@/lib/http/api-route";
import { breakGlassSchema, setBreakGlass } from "@/lib/saml/manage-connection";

export const PUT = apiRoute({ auth: "tenant", permission: "sso:write", body: breakGlassSchema }, async (ctx, { body }) => setBreakGlass(ctx, body.userIds));
