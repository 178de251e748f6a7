import { apiRoute } from "@/lib/http/api-route";
import { deleteMapping, mappingPatchSchema, updateMapping } from "@/lib/saml/manage-connection";

export const PATCH = apiRoute({ auth: "tenant", permission: "sso:write", body: mappingPatchSchema }, async (ctx, { body, params }) => updateMapping(ctx, params.id!, body));
export const DELETE = apiRoute({ auth: "tenant", permission: "sso:write" }, async (ctx, { params }) => deleteMapping(ctx, params.id!));
