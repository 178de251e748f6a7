import { z } from "zod";
import { apiRoute } from "@/lib/http/api-route";
import { AppError } from "@/lib/http/errors";
import { discoverTenant } from "@/lib/tenancy/create-tenant";
import { emailSchema } from "@/lib/users/user-schemas";
import { config } from "@/lib/config";

export const POST = apiRoute({ auth: "public", body: z.object({ email: emailSchema }).strict() }, async (_ctx, { body }) => {
  const tenant = await discoverTenant(body.email);
  if (!tenant) throw new AppError(404, "not_found", "No organisation signs in people with that email domain. Ask your administrator for your organisation's sign-in link.");
  return Response.json({ tenant, signInUrl: `${config().PUBLIC_ORIGIN}/t/${tenant.slug}/sign-in?email=${encodeURIComponent(body.email)}` });
});
