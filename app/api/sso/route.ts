import { apiRoute } from "@/lib/http/api-route";
import { getSso, putSso, putSsoSchema } from "@/lib/saml/manage-connection";

export const GET = apiRoute({ auth: "tenant", permission: "sso:read" }, async (ctx) => getSso(ctx));
export const PUT = apiRoute({ auth: "tenant", permission: "sso:write", body: putSsoSchema }, async (ctx, { body }) => putSso(ctx, body));
