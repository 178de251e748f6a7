import { apiRoute } from "@/lib/http/api-route";
import { spMetadataResponse } from "@/lib/saml/manage-connection";

export const GET = apiRoute({ auth: "tenant", permission: "sso:read" }, async (ctx) => spMetadataResponse(ctx));
