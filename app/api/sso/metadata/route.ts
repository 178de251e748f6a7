import { apiRoute } from "@/lib/http/api-route";
import { importMetadata, importMetadataSchema } from "@/lib/saml/manage-connection";

// Pasted metadata may be up to 1 MiB of XML (ADFS documents exceed the usual 64 KiB JSON limit); JSON escaping adds some.
export const POST = apiRoute({ auth: "tenant", permission: "sso:write", body: importMetadataSchema, maxBodyBytes: 1536 * 1024 }, async (ctx, { body }) => importMetadata(ctx, body));
