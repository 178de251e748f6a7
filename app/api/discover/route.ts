import { z } from "zod";
import { apiRoute } from "@/lib/http/api-route";
import { AppError } from "@/lib/http/errors";
import { ssoSignInTarget } from "@/lib/saml/flows/sso-sign-in-target";
import { discoverTenant } from "@/lib/tenancy/create-tenant";
import { emailSchema } from "@/lib/users/user-schemas";
import { config } from "@/lib/config";

// A tenant that requires SSO sends its people straight to its IdP; one that still allows passwords shows its
// sign-in page, which offers both.
export const POST = apiRoute({ auth: "public", body: z.object({ email: emailSchema }).strict() }, async (_ctx, { body }) => {
  const tenant = await discoverTenant(body.email);
  if (!tenant) throw new AppError(404, "not_found", "No organisation signs in people with that email domain. Ask your administrator for your organisation's sign-in link.");
  const sso = await ssoSignInTarget(tenant.slug);
  const signInPage = `${config().PUBLIC_ORIGIN}/t/${tenant.slug}/sign-in?email=${encodeURIComponent(body.email)}`;
  return Response.json({
    tenant,
    signInUrl: sso?.required ? sso.loginUrl : signInPage,
    // Only for tenants with SSO on: public facts (the SP login URL, whether passwords are off), nothing else.
    ...(sso ? { sso: { loginUrl: sso.loginUrl, required: sso.required } } : {}),
  });
});
