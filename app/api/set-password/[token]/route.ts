import { apiRoute } from "@/lib/http/api-route";
import { AppError } from "@/lib/http/errors";
import { findLiveSetPasswordLink } from "@/lib/auth/set-password-links";
import { passwordPolicyOf } from "@/lib/auth/password-policy";
import { refuseSsoOnlyUser } from "@/lib/auth/consume-set-password-link";

export const GET = apiRoute({ auth: "public" }, async (ctx, { params }) => {
  const link = await findLiveSetPasswordLink(params.token ?? "");
  if (!link) throw new AppError(404, "link_invalid", "This link is invalid or has expired. Ask your administrator for a new one.");
  await refuseSsoOnlyUser(link, ctx.meta);
  return { email: link.user.email, tenantSlug: link.tenant.slug, tenantName: link.tenant.name, purpose: link.purpose, policy: passwordPolicyOf(link.tenant) };
});
