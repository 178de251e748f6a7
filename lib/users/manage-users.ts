import type { z } from "zod";
import type { TenantContext } from "@/lib/http/api-route";
import { AppError, badRequest, conflict, forbidden, notFound } from "@/lib/http/errors";
import { mayManageRole } from "@/lib/auth/permissions";
import { endUserSessions } from "@/lib/auth/session-store";
import { issueSetPasswordLink } from "@/lib/auth/set-password-links";
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
  const link = await issueSetPasswordLink({ tenantId: ctx.tenantId, userId: user.id, purpose: "invite", createdById: ctx.actor.id ?? null });
  await ctx.audit({ action: "user.created", target: { type: "user", id: user.id }, metadata: { email: user.email, role: user.role, groupIds: input.groupIds } });
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
  const losesOwner = user.role === "owner" && ((input.role && input.role !== "owner") || input.status === "disabled");
  if (losesOwner) {
    const owners = await ctx.db.user.count({ where: { role: "owner", status: "active", id: { not: id } } });
    if (owners === 0) throw new AppError(409, "last_owner", "This is the organisation's last active owner; make someone else owner first.");
  }
  if (input.status === "active" && user.status === "invited") throw badRequest("status: an invited user becomes active by setting a password.");
  if (input.groupIds) await assertGroupsInTenant(ctx, input.groupIds);

  await ctx.db.user.update({ where: { id }, data: { name: input.name, role: input.role, status: input.status } });
  if (input.groupIds) {
    const wanted = new Set(input.groupIds);
    const current = await ctx.db.groupMember.findMany({ where: { userId: id } });
    const toRemove = current.filter((m) => !wanted.has(m.groupId)).map((m) => m.groupId);
    const toAdd = [...wanted].filter((g) => !current.some((m) => m.groupId === g));
    if (toRemove.length) await ctx.db.groupMember.deleteMany({ where: { userId: id, groupId: { in: toRemove } } });
    if (toAdd.length) await ctx.db.groupMember.createMany({ data: toAdd.map((groupId) => ({ groupId, userId: id, tenantId: ctx.tenantId })) });
    if (toAdd.length || toRemove.length) await ctx.audit({ action: "user.groups_changed", target: { type: "user", id }, metadata: { added: toAdd, removed: toRemove } });
  }
  if (input.role && input.role !== user.role) await ctx.audit({ action: "user.role_changed", target: { type: "user", id }, metadata: { from: user.role, to: input.role } });
  if (input.status && input.status !== user.status) {
    await ctx.audit({ action: input.status === "disabled" ? "user.disabled" : "user.enabled", target: { type: "user", id } });
    if (input.status === "disabled") await endUserSessions(id, "user_disabled", { meta: ctx.meta, actor: { type: ctx.actor.type === "api_key" ? "api_key" : "user", id: ctx.actor.id ?? undefined, label: ctx.actor.label } });
  }
  if (input.name !== undefined && input.name !== user.name) await ctx.audit({ action: "user.renamed", target: { type: "user", id } });
  return getUser(ctx, id);
}

export async function reissueSetPasswordLink(ctx: TenantContext, id: string) {
  const user = await ctx.db.user.findUnique({ where: { id } });
  if (!user) throw notFound("user");
  if (!mayManageRole(ctx.role, user.role)) throw forbidden(`Your role cannot reset an ${user.role}'s password.`);
  if (user.status === "disabled") throw conflict("The user is disabled; enable them first.");
  const purpose = user.status === "invited" ? "invite" : "reset";
  const link = await issueSetPasswordLink({ tenantId: ctx.tenantId, userId: id, purpose, createdById: ctx.actor.id ?? null });
  await ctx.audit({ action: purpose === "invite" ? "user.invite_reissued" : "user.password_reset_link_issued", target: { type: "user", id } });
  return { setPasswordUrl: link.url, expiresAt: link.expiresAt };
}
