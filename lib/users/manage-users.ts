import type { z } from "zod";
import { db } from "@/lib/db/client";
import type { TenantContext } from "@/lib/http/api-route";
import { AppError, badRequest, conflict, forbidden, notFound } from "@/lib/http/errors";
import { mayManageRole } from "@/lib/auth/permissions";
import { endUserSessions } from "@/lib/auth/session-store";
import { issueSetPasswordLink } from "@/lib/auth/set-password-links";
import { assertBreakGlassSurvives } from "@/lib/saml/manage-connection";
import { passwordRefusedBySso, tenantRequiresSso } from "@/lib/saml/require-sso";
import { config } from "@/lib/config";
import { publishUserAccessChanged } from "@/lib/workspace/events";
import { toUserView, userViewInclude, type UserView } from "@/lib/users/user-view";
import type { createUserSchema, listUsersQuery, updateUserSchema } from "@/lib/users/user-schemas";

/**
 * Tenant user administration. All reads and writes go through ctx.db, which is
 * scoped to the caller's tenant: ids of another tenant are simply not found.
 */

async function assertGroupsInTenant(ctx: TenantContext, groupIds: string[]): Promise<void> {
  if (!groupIds.length) return;
  const found = await ctx.db.group.count({ where: { id: { in: groupIds } } });
  if (found !== new Set(groupIds).size) throw badRequest("groupIds: one or more groups do not exist.");
}

export async function listUsers(ctx: TenantContext, q: z.infer<typeof listUsersQuery>): Promise<UserView[]> {
  const users = await ctx.db.user.findMany({
    where: {
      ...(q.status ? { status: q.status } : {}),
      ...(q.q ? { OR: [{ email: { contains: q.q.toLowerCase() } }, { name: { contains: q.q, mode: "insensitive" } }] } : {}),
    },
    include: userViewInclude,
    orderBy: { email: "asc" },
    take: 1000,
  });
  return users.map(toUserView);
}

export async function getUser(ctx: TenantContext, id: string): Promise<UserView> {
  const u = await ctx.db.user.findUnique({ where: { id }, include: userViewInclude });
  if (!u) throw notFound("user");
  return toUserView(u);
}

export async function inviteUser(ctx: TenantContext, input: z.infer<typeof createUserSchema>) {
  if (!mayManageRole(ctx.role, input.role)) throw forbidden(`Your role cannot create ${input.role}s.`);
  await assertGroupsInTenant(ctx, input.groupIds);
  const existing = await ctx.db.user.findUnique({ where: { tenantId_email: { tenantId: ctx.tenantId, email: input.email } } });
  if (existing) throw conflict("A user with that email already exists in your organisation.");
  const user = await ctx.db.user.create({
    data: {
      tenantId: ctx.tenantId,
      email: input.email,
      name: input.name,
      role: input.role,
      status: "invited",
      memberships: { create: input.groupIds.map((groupId) => ({ groupId, tenantId: ctx.tenantId })) },
    },
    include: userViewInclude,
  });
  // In a tenant that requires SSO a password link would only be refused when used: the user signs in through
  // the IdP instead, which activates the invited account (lib/saml/flows/provision-saml-user.ts).
  const sso = await tenantRequiresSso(ctx.tenantId);
  const link = sso ? null : await issueSetPasswordLink({ tenantId: ctx.tenantId, userId: user.id, purpose: "invite", createdById: ctx.actor.id ?? null });
  await ctx.audit({ action: "user.created", target: { type: "user", id: user.id }, metadata: { email: user.email, role: user.role, groupIds: input.groupIds, signsInWith: sso ? "sso" : "password" } });
  if (!link) return { user: toUserView(user), setPasswordUrl: null, expiresAt: null, ssoSignInUrl: `${config().PUBLIC_ORIGIN}/t/${await tenantSlugOf(ctx)}/sign-in` };
  return { user: toUserView(user), setPasswordUrl: link.url, expiresAt: link.expiresAt };
}

export async function updateUser(ctx: TenantContext, id: string, input: z.infer<typeof updateUserSchema>): Promise<UserView> {
  const user = await ctx.db.user.findUnique({ where: { id } });
  if (!user) throw notFound("user");
  const self = ctx.user?.userId === id;
  if (!mayManageRole(ctx.role, user.role)) throw forbidden(`Your role cannot change an ${user.role}.`);
  if (input.role && input.role !== user.role) {
    if (!mayManageRole(ctx.role, input.role)) throw forbidden(`Your role cannot grant the ${input.role} role.`);
    if (self) throw forbidden("You cannot change your own role; ask another administrator.");
  }
  if (input.status === "disabled" && self) throw forbidden("You cannot disable yourself.");
  if (input.status === "active" && user.status === "invited") throw badRequest("status: an invited user becomes active by setting a password.");
  if (input.groupIds) await assertGroupsInTenant(ctx, input.groupIds);

  if (input.role !== undefined || input.status !== undefined) await assertBreakGlassSurvives(ctx, id, { role: input.role, status: input.status });

  const losesOwner = user.role === "owner" && ((input.role && input.role !== "owner") || input.status === "disabled");
  await db().$transaction(async (tx) => {
    if (losesOwner) {
      // Lock the tenant's active owners: two owners demoting each other at the same
      // moment serialise here, and the second sees that it would leave none.
      const owners = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE tenant_id = ${ctx.tenantId} AND role = 'owner' AND status = 'active' FOR UPDATE`;
      if (!owners.some((o) => o.id !== id)) throw new AppError(409, "last_owner", "This is the organisation's last active owner; make someone else owner first.");
    }
    await tx.user.update({ where: { id, tenantId: ctx.tenantId }, data: { name: input.name, role: input.role, status: input.status } });
  });
  let accessMayHaveShrunk = false;
  if (input.groupIds) {
    const wanted = new Set(input.groupIds);
    const current = await ctx.db.groupMember.findMany({ where: { userId: id } });
    const toRemove = current.filter((m) => !wanted.has(m.groupId)).map((m) => m.groupId);
    const toAdd = [...wanted].filter((g) => !current.some((m) => m.groupId === g));
    if (toRemove.length) await ctx.db.groupMember.deleteMany({ where: { userId: id, groupId: { in: toRemove } } });
    if (toAdd.length) await ctx.db.groupMember.createMany({ data: toAdd.map((groupId) => ({ groupId, userId: id, tenantId: ctx.tenantId })) });
    if (toAdd.length || toRemove.length) await ctx.audit({ action: "user.groups_changed", target: { type: "user", id }, metadata: { added: toAdd, removed: toRemove } });
    if (toRemove.length) accessMayHaveShrunk = true;
  }
  if (input.role && input.role !== user.role) await ctx.audit({ action: "user.role_changed", target: { type: "user", id }, metadata: { from: user.role, to: input.role } });
  if (input.role && input.role !== user.role) accessMayHaveShrunk = true;
  // Open workspaces of apps the user may no longer open close on every replica (4403).
  if (accessMayHaveShrunk) await publishUserAccessChanged({ tenantId: ctx.tenantId, userId: id }).catch(() => undefined);
  if (input.status && input.status !== user.status) {
    await ctx.audit({ action: input.status === "disabled" ? "user.disabled" : "user.enabled", target: { type: "user", id } });
    if (input.status === "disabled") await endUserSessions(id, "user_disabled", { meta: ctx.meta, actor: { type: ctx.actor.type === "api_key" ? "api_key" : "user", id: ctx.actor.id ?? undefined, label: ctx.actor.label } });
  }
  // A key must not outlast its creator's rights: disabling revokes the user's keys,
  // a demotion revokes those above the new role.
  const keyRolesAllowed = input.status === "disabled" ? [] : input.role === "member" ? ["member" as const] : input.role === "admin" ? ["member" as const, "admin" as const] : null;
  if (keyRolesAllowed) {
    const keys = await ctx.db.apiKey.findMany({ where: { createdById: id, revokedAt: null, role: { notIn: keyRolesAllowed } }, select: { id: true } });
    for (const k of keys) {
      await ctx.db.apiKey.updateMany({ where: { id: k.id, revokedAt: null }, data: { revokedAt: new Date() } });
      await ctx.audit({ action: "api_key.revoked", target: { type: "api_key", id: k.id }, reason: input.status === "disabled" ? "creator_disabled" : "creator_demoted" });
    }
  }
  if (input.name !== undefined && input.name !== user.name) await ctx.audit({ action: "user.renamed", target: { type: "user", id } });
  return getUser(ctx, id);
}

export async function reissueSetPasswordLink(ctx: TenantContext, id: string) {
  const user = await ctx.db.user.findUnique({ where: { id } });
  if (!user) throw notFound("user");
  if (!mayManageRole(ctx.role, user.role)) throw forbidden(`Your role cannot reset an ${user.role}'s password.`);
  if (user.status === "disabled") throw conflict("The user is disabled; enable them first.");
  if (await passwordRefusedBySso(ctx.tenantId, user)) throw conflict("Your organisation requires single sign-on: this user signs in through the identity provider and has no Atrium password to set.");
  const purpose = user.status === "invited" ? "invite" : "reset";
  const link = await issueSetPasswordLink({ tenantId: ctx.tenantId, userId: id, purpose, createdById: ctx.actor.id ?? null });
  await ctx.audit({ action: purpose === "invite" ? "user.invite_reissued" : "user.password_reset_link_issued", target: { type: "user", id } });
  return { setPasswordUrl: link.url, expiresAt: link.expiresAt };
}

async function tenantSlugOf(ctx: TenantContext): Promise<string> {
  return (await db().tenant.findUniqueOrThrow({ where: { id: ctx.tenantId }, select: { slug: true } })).slug;
}
