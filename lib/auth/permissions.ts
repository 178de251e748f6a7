import type { Role } from "@/lib/generated/prisma/client";

/**
 * The permission matrix: roles × resources × actions, read by the API wrapper
 * (to refuse) and by the UI (to hide what a role cannot do).
 */
export const RESOURCES = ["tenant", "users", "groups", "policies", "sessions", "apiKeys", "audit", "apps", "engines", "sso"] as const;
export const ACTIONS = ["read", "write"] as const;
export type Resource = (typeof RESOURCES)[number];
export type Action = (typeof ACTIONS)[number];
export type Permission = `${Resource}:${Action}`;

const ALL: readonly Permission[] = RESOURCES.flatMap((r) => ACTIONS.map((a) => `${r}:${a}` as Permission));

export const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(ALL),
  // Admins run the tenant day to day; only owners change the tenant's identity (name, domains).
  admin: new Set(ALL.filter((p) => p !== "tenant:write")),
  // Editors create and edit apps and their shares (docs/workspaces.md), nothing else of the tenant.
  editor: new Set<Permission>(["apps:read", "apps:write"]),
  // Members act on themselves only (through /api/me), never on the tenant; they open apps shared with their groups.
  member: new Set<Permission>(),
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].has(permission);
}

const RANK: Record<Role, number> = { member: 0, editor: 1, admin: 2, owner: 3 };

/** Whether someone with role `actor` may give or take away role `target` (nobody acts above their own rank). */
export function mayManageRole(actor: Role, target: Role): boolean {
  return RANK[actor] >= RANK[target] && actor !== "member" && actor !== "editor";
}

export function roleAtMost(role: Role, ceiling: Role): boolean {
  return RANK[role] <= RANK[ceiling];
}
