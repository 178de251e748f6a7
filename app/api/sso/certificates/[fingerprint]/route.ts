import { apiRoute } from "@/lib/http/api-route";
import { notFound } from "@/lib/http/errors";
import { removeIdpCertificate } from "@/lib/saml/manage-connection";

export const DELETE = apiRoute({ auth: "tenant", permission: "sso:write" }, async (ctx, { params }) => {
  const fp = (params.fingerprint ?? "").replace(/:/g, "");
  if (!/^[0-9a-fA-F]{64}$/.test(fp)) throw notFound("certificate");
  return removeIdpCertificate(ctx, fp);
});
