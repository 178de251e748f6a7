import { apiRoute } from "@/lib/http/api-route";
import { rotateSpKey } from "@/lib/saml/manage-connection";

export const POST = apiRoute({ auth: "tenant", permission: "sso:write" }, async (ctx) => rotateSpKey(ctx));
