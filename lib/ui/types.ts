/** Shapes of the JSON API's answers, as the browser UI reads them (see docs/api.md). */

/** "editor" may create and edit apps only (docs/workspaces.md); ROLES lists what the users page offers. */
export type Role = "owner" | "admin" | "editor" | "member";
export type UserStatus = "invited" | "active" | "disabled";

export const ROLES: readonly Role[] = ["member", "editor", "admin", "owner"];

export interface GroupRef {
  id: string;
  name: string;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  status: UserStatus;
  groups: GroupRef[];
  createdAt: string;
  lastSignInAt: string | null;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  cpuMillis: number;
  memoryMiB: number;
  memberCount: number;
}

export interface Me {
  user: { id: string; email: string; name: string | null; role: Role; groups: GroupRef[] };
  tenant: { slug: string; name: string };
  session: { id: string; expiresAt: string; idleExpiresAt: string };
  csrfToken: string;
  passwordExpired: boolean;
  permissions: string[];
}

export interface PasswordPolicy {
  minLength: number;
  requireLower: boolean;
  requireUpper: boolean;
  requireDigit: boolean;
  requireSymbol: boolean;
  history: number;
  maxAgeDays: number | null;
}

export interface Bounds {
  min: number;
  max: number;
}

export interface SessionPolicy {
  maxSessionSeconds: number;
  idleTimeoutSeconds: number;
  bounds: { maxSeconds: Bounds; idleSeconds: Bounds };
}

export interface LockoutPolicy {
  threshold: number;
  windowSeconds: number;
  durationSeconds: number;
}

export interface SessionRow {
  id: string;
  user: { id: string; email: string; name: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  authMethod: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEvent {
  id: string;
  createdAt: string;
  actor: { type: string; id: string | null; label: string | null };
  action: string;
  outcome: "success" | "failure";
  reason: string | null;
  target: { type: string; id: string } | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  metadata: unknown;
}

export interface OperatorTenant {
  id: string;
  slug: string;
  name: string;
  domains: string[];
  userCount: number;
  createdAt: string;
}

export interface SetPasswordInfo {
  email: string;
  tenantSlug: string;
  tenantName: string;
  purpose: "invite" | "reset";
  policy: PasswordPolicy;
}

export interface OneTimeLink {
  setPasswordUrl: string;
  expiresAt: string;
}

/** A node of an app's calculation model (docs/engine-protocol.md). */
export interface AppNode {
  id: string;
  title: string;
  formula: string;
}

/** GET /api/apps: the apps the caller may open. */
export interface AppSummary {
  id: string;
  name: string;
  description: string | null;
  version: number;
  canEdit: boolean;
}

/** GET /api/apps/:id */
export interface AppDetail {
  id: string;
  name: string;
  description: string | null;
  version: number;
  nodes: AppNode[];
  shares: GroupRef[];
}

/** GET /api/engines: one running engine (stats are best effort). */
export interface EngineRow {
  id: string;
  user: { id: string; email: string };
  app: { id: string; name: string };
  status: string;
  startedAt: string;
  ageSeconds: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
}
