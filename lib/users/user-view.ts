import type { Role, UserStatus } from "@/lib/generated/prisma/client";

/** The public shape of a user (docs/api.md `User`): no hashes, no internal fields. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  groups: { id: string; name: string }[];
  createdAt: Date;
  lastSignInAt: Date | null;
}

export const userViewInclude = { memberships: { include: { group: { select: { id: true, name: true } } } } } as const;

export function toUserView(u: {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  createdAt: Date;
  lastSignInAt: Date | null;
  memberships: { group: { id: string; name: string } }[];
}): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.status,
    groups: u.memberships.map((m) => m.group).sort((a, b) => a.name.localeCompare(b.name)),
    createdAt: u.createdAt,
    lastSignInAt: u.lastSignInAt,
  };
}
