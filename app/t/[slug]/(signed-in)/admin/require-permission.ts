import { notFound } from "next/navigation";
import { requireUserSession } from "@/lib/auth/current-session";
import { can, type Resource } from "@/lib/auth/permissions";

/**
 * For admin pages: the signed-in user, or "not found" when their role may not
 * read `resource` (the page's existence is not revealed to members).
 */
export async function requireAdminPage(params: Promise<{ slug: string }>, resource: Resource) {
  const { slug } = await params;
  const session = await requireUserSession(slug);
  if (!can(session.role, `${resource}:read`)) notFound();
  return { session, slug: session.tenantSlug, canWrite: can(session.role, `${resource}:write`) };
}
