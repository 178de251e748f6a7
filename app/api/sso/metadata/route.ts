import { apiRoute } from "@/lib/http/api-route";
import { importMetadata, importMetadataSchema } from "@/lib/saml/manage-connection";

// The XML may be up to 1 MiB; apiRoute's JSON body limit (64 KiB) applies, so larger documents go by URL.
export const POST = apiRoute({ auth: "tenant", permission: "sso:write", body: importMetadataSchema }, async (ctx, { body }) => importMetadata(ctx, body));
