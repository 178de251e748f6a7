import { apiRoute } from "@/lib/http/api-route";
import { createMapping, listMappings, mappingSchema } from "@/lib/saml/manage-connection";

export const GET = apiRoute({ auth: "tenant", permission: "sso:read" }, async (ctx) => listMappings(ctx));
export const POST = apiRoute({ auth: "tenant", permission: "sso:write", body: mappingSchema }, async (ctx, { body }) => createMapping(ctx, body));
