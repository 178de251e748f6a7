import { apiRoute } from "@/lib/http/api-route";
import { notFound } from "@/lib/http/errors";
import { findTenantBySlug } from "@/lib/tenancy/find-tenant-by-slug";

export const GET = apiRoute({ auth: "public" }, async (_ctx, { params }) => {
  const t = await findTenantBySlug(params.slug ?? "");
  if (!t) throw notFound("organisation at this address");
  return { slug: t.slug, name: t.name };
});
