import { z } from "zod";
import { db } from "@/lib/db/client";
import { conflict } from "@/lib/http/errors";
import { recordAuditEvent, type Actor } from "@/lib/audit/record-audit-event";
import { issueSetPasswordLink } from "@/lib/auth/set-password-links";
import { emailSchema, nameSchema } from "@/lib/users/user-schemas";
import type { RequestMeta } from "@/lib/http/request-meta";

export const slugSchema = z
  .string({ error: "Slug is required." })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "Slug must be 1-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen.");

export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, "A domain can be at most 253 characters.")
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "Enter domains like example.com.");

export const domainsSchema = z.array(domainSchema).max(20, "At most 20 email domains.").transform((d) => [...new Set(d)]);

export const createTenantSchema = z
  .object({
    slug: slugSchema,
    name: z.string({ error: "Name is required." }).trim().min(1, "Name is required.").max(120, "Name can be at most 120 characters."),
    domains: domainsSchema.optional().default([]),
    admin: z.object({ email: emailSchema, name: nameSchema.optional().default("") }, { error: "admin needs an email." }).strict(),
  })
  .strict();

async function assertDomainsFree(domains: string[], exceptTenantId?: string) {
  if (!domains.length) return;
  const taken = await db().tenantDomain.findMany({ where: { domain: { in: domains }, ...(exceptTenantId ? { tenantId: { not: exceptTenantId } } : {}) } });
  if (taken.length) throw conflict(`Email domain ${taken.map((t) => t.domain).join(", ")} already belongs to another organisation.`);
}

/** Creates a tenant with its first admin (an owner, invited through a one-time link). Operator UI, API and CLI. */
export async function createTenant(input: z.infer<typeof createTenantSchema>, actor: Actor, meta?: RequestMeta) {
  if (await db().tenant.findUnique({ where: { slug: input.slug } })) throw conflict("That slug is already taken.");
  await assertDomainsFree(input.domains);
  const tenant = await db().tenant.create({
    data: { slug: input.slug, name: input.name, domains: { create: input.domains.map((domain) => ({ domain })) } },
  });
  const admin = await db().user.create({ data: { tenantId: tenant.id, email: input.admin.email, name: input.admin.name, role: "owner", status: "invited" } });
  const link = await issueSetPasswordLink({ tenantId: tenant.id, userId: admin.id, purpose: "invite", createdById: null });
  await recordAuditEvent({ tenantId: tenant.id, actor, action: "tenant.created", target: { type: "tenant", id: tenant.id }, meta, metadata: { slug: tenant.slug, domains: input.domains } });
  await recordAuditEvent({ tenantId: tenant.id, actor, action: "user.created", target: { type: "user", id: admin.id }, meta, metadata: { email: admin.email, role: "owner" } });
  return { tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, domains: input.domains }, admin: { id: admin.id, email: admin.email }, setPasswordUrl: link.url, expiresAt: link.expiresAt };
}

export async function listTenants() {
  const rows = await db().tenant.findMany({ include: { domains: true, _count: { select: { users: true } } }, orderBy: { createdAt: "desc" } });
  return rows.map((t) => ({ id: t.id, slug: t.slug, name: t.name, domains: t.domains.map((d) => d.domain), userCount: t._count.users, createdAt: t.createdAt }));
}

export const updateTenantSchema = z
  .object({ name: z.string().trim().min(1, "Name is required.").max(120, "Name can be at most 120 characters.").optional(), domains: domainsSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send name or domains.");

export async function getTenantSettings(tenantId: string) {
  const t = await db().tenant.findUniqueOrThrow({ where: { id: tenantId }, include: { domains: true } });
  return { id: t.id, slug: t.slug, name: t.name, domains: t.domains.map((d) => d.domain).sort() };
}

export async function updateTenantSettings(tenantId: string, input: z.infer<typeof updateTenantSchema>, audit: (e: { action: string; metadata?: Record<string, unknown> }) => Promise<void>) {
  if (input.domains) await assertDomainsFree(input.domains, tenantId);
  await db().$transaction(async (tx) => {
    if (input.name) await tx.tenant.update({ where: { id: tenantId }, data: { name: input.name } });
    if (input.domains) {
      await tx.tenantDomain.deleteMany({ where: { tenantId } });
      await tx.tenantDomain.createMany({ data: input.domains.map((domain) => ({ domain, tenantId })) });
    }
  });
  await audit({ action: "tenant.updated", metadata: input });
  return getTenantSettings(tenantId);
}

/** Start-page discovery: which tenant signs in people with this email's domain. */
export async function discoverTenant(email: string) {
  const domain = email.split("@")[1] ?? "";
  const row = await db().tenantDomain.findUnique({ where: { domain }, include: { tenant: { select: { slug: true, name: true } } } });
  return row?.tenant ?? null;
}
