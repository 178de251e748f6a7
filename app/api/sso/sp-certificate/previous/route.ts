import { apiRoute } from "@/lib/http/api-route";
import { retirePreviousSpKey } from "@/lib/saml/manage-connection";

export const DELETE = apiRoute({ auth: "tenant", permission: "sso:write" }, async (ctx) => retirePreviousSpKey(ctx));
