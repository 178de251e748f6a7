import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/client";
import type { RequestMeta } from "@/lib/http/request-meta";
import type { SsoConnection } from "@/lib/saml/connection";
import { publishUserAccessChanged } from "@/lib/workspace/events";
import type { MappedProfile } from "./map-saml-profile";

const RANK: Record<Role, number> = { member: 0, editor: 1, admin: 2, owner: 3 };
const highest = (roles: Role[]): Role => roles.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), "member" as Role);
/** SSO never grants owner: ownership is handed over inside Atrium only. */
const capAtAdmin = (r: Role): Role => (r === "owner" ? "admin" : r);

export type ProvisionResult =
  | { ok: true; userId: string; email: string; created: boolean; role: Role; roleChanged: boolean; groupsAdded: string[]; groupsRemoved: string[] }
  | { ok: false; reason: "email_missing" | "user_disabled" | "jit_disabled"; detail: string };

/**
 * Finds (or, with JIT on, creates) the tenant's user for a validated SAML profile and syncs what the mappings
 * govern:
 *  - unknown user + JIT: created active, role = highest of the JIT default role and the mapped roles;
 *  - disabled user: refused; invited user: activated (the IdP proved who they are);
 *  - role: only when the tenant has role mappings — highest mapped role matched, else the JIT default role; an
 *    owner is never changed, and owner is never granted;
 *  - groups: the user is added to every MAPPED group asserted and removed from mapped groups no longer asserted;
 *    groups without a mapping are left alone (managed in Atrium).
 */
export async function provisionSamlUser(conn: SsoConnection, mapped: MappedProfile, meta: RequestMeta): Promise<ProvisionResult> {
  if (!mapped.email) return { ok: false, reason: "email_missing", detail: "no email attribute and the NameID is not an emailAddress" };
  const email = mapped.email;
  const tenantId = conn.tenantId;
  const asserted = new Set(mapped.groups);

  return db().$transaction(async (tx) => {
    const mappings = await tx.ssoGroupMapping.findMany({ where: { tenantId } });
    const matched = mappings.filter((m) => asserted.has(m.idpValue));
    const roleMappingsExist = mappings.some((m) => m.role !== null);
    const mappedRoles = matched.map((m) => m.role).filter((r): r is Role => r !== null);
    const baseline = capAtAdmin(conn.jit.defaultRole);

    let user = await tx.user.findUnique({ where: { tenantId_email: { tenantId, email } } });
    const roleBefore = user?.role ?? null;
    let created = false;
    if (user && user.status === "disabled") return { ok: false as const, reason: "user_disabled" as const, detail: `user ${email} is disabled` };
    if (!user) {
      if (!conn.jit.enabled) return { ok: false as const, reason: "jit_disabled" as const, detail: `no user ${email} in the organisation and JIT provisioning is off` };
      const role = capAtAdmin(highest([baseline, ...mappedRoles]));
      user = await tx.user.create({ data: { tenantId, email, name: mapped.name, role, status: "active", lastSignInAt: new Date() } });
      created = true;
    } else {
      let role = user.role;
      if (roleMappingsExist && user.role !== "owner") role = capAtAdmin(mappedRoles.length ? highest(mappedRoles) : baseline);
      user = await tx.user.update({
        where: { id: user.id },
        data: { role, status: "active", lastSignInAt: new Date(), ...(mapped.name && mapped.name !== user.name ? { name: mapped.name } : {}) },
      });
    }

    const mappedGroupIds = new Set(mappings.map((m) => m.groupId).filter((g): g is string => g !== null));
    const wanted = new Set(matched.map((m) => m.groupId).filter((g): g is string => g !== null));
    const current = new Set((await tx.groupMember.findMany({ where: { tenantId, userId: user.id }, select: { groupId: true } })).map((m) => m.groupId));
    const groupsAdded = [...wanted].filter((g) => !current.has(g));
    const groupsRemoved = [...current].filter((g) => mappedGroupIds.has(g) && !wanted.has(g));
    if (groupsAdded.length) await tx.groupMember.createMany({ data: groupsAdded.map((groupId) => ({ tenantId, groupId, userId: user.id })), skipDuplicates: true });
    if (groupsRemoved.length) await tx.groupMember.deleteMany({ where: { tenantId, userId: user.id, groupId: { in: groupsRemoved } } });
    return { ok: true as const, userId: user.id, email: user.email, created, role: user.role, roleChanged: roleBefore !== null && roleBefore !== user.role, groupsAdded, groupsRemoved };
  }).then(async (r) => {
    // The IdP took groups (or a role) away: the user's other open workspaces are re-checked on every replica.
    if (r.ok && (r.groupsRemoved.length || r.roleChanged)) await publishUserAccessChanged({ tenantId, userId: r.userId }).catch(() => undefined);
    if (r.ok && (r.created || r.groupsAdded.length || r.groupsRemoved.length)) {
      await recordAuditEvent({
        tenantId,
        actor: { type: "system", label: "saml" },
        action: r.created ? "user.jit_provisioned" : "user.sso_synced",
        target: { type: "user", id: r.userId },
        meta,
        metadata: { email: r.email, role: r.role, groupsAdded: r.groupsAdded, groupsRemoved: r.groupsRemoved, idpEntityId: conn.idp.entityId },
      });
    }
    return r;
  });
}
