import { db } from "@/lib/db/client";

/** Public facts about a tenant (for its sign-in page); null for an unknown or malformed slug. */
export async function findTenantBySlug(slug: string): Promise<{ id: string; slug: string; name: string } | null> {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(slug)) return null;
  return db().tenant.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
}
