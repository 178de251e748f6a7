import { apiRoute } from "@/lib/http/api-route";
import { addCertificateSchema, addIdpCertificate } from "@/lib/saml/manage-connection";

export const POST = apiRoute({ auth: "tenant", permission: "sso:write", body: addCertificateSchema }, async (ctx, { body }) => addIdpCertificate(ctx, body.certificate));
