import { randomBytes } from "node:crypto";
import { db } from "@/lib/db/client";
import { createTenant } from "@/lib/tenancy/create-tenant";
import { hashPassword } from "@/lib/auth/password-hashing";
import type { Role } from "@/lib/generated/prisma/client";
import { AtriumClient } from "./atrium-client";

/**
 * Test data made through the product's own code (createTenant), straight into
 * the real test database. Every tenant gets a unique slug and domain, so tests
 * never see each other's data.
 */
export const PASSWORD = "Correct-Horse-42-battery";

export interface TestTenant {
  id: string;
  slug: string;
  domain: string;
  owner: { id: string; email: string };
}

export function uniqueSlug(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export async function makeTenant(prefix = "t"): Promise<TestTenant> {
  const slug = uniqueSlug(prefix);
  const domain = `${slug}.test`;
  const r = await createTenant({ slug, name: `Tenant ${slug}`, domains: [domain], admin: { email: `owner@${domain}`, name: "Owner" } }, { type: "system", label: "tests" });
  await activate(r.admin.id, PASSWORD);
  return { id: r.tenant.id, slug, domain, owner: r.admin };
}

/** Gives a user a password directly (as if they had used their invitation). */
export async function activate(userId: string, password: string): Promise<void> {
  await db().user.update({ where: { id: userId }, data: { status: "active", passwordHash: await hashPassword(password), passwordChangedAt: new Date() } });
}

export async function makeUser(t: TestTenant, role: Role = "member", name = "Test User"): Promise<{ id: string; email: string }> {
  const email = `${role}-${randomBytes(4).toString("hex")}@${t.domain}`;
  const u = await db().user.create({ data: { tenantId: t.id, email, name, role, status: "active", passwordHash: await hashPassword(PASSWORD), passwordChangedAt: new Date() } });
  return { id: u.id, email };
}

export async function signedIn(t: TestTenant, email: string, password = PASSWORD): Promise<AtriumClient> {
  const c = new AtriumClient();
  const error = await c.signIn(t.slug, email, password);
  if (error) throw new Error(`sign-in of ${email} failed: ${error}`);
  return c;
}

export async function auditEvents(tenantId: string | null, action: string) {
  return db().auditEvent.findMany({ where: { tenantId, action }, orderBy: { seq: "asc" } });
}
