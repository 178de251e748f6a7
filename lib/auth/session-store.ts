import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/client";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { randomToken, sha256Hex } from "@/lib/security/tokens";
import type { RequestMeta } from "@/lib/http/request-meta";
import { publishSessionEnded } from "@/lib/workspace/events";
import { log } from "@/lib/log";

/**
 * Server-side sessions. The cookie carries a 256-bit random token; the database
 * keeps only its SHA-256. Every request looks the row up, so revocation takes
 * effect on the very next request to any replica. Absolute expiry is fixed at
 * sign-in (tenant policy, capped by the IdP when it says so); idle expiry is
 * computed from the tenant's *current* idle timeout and slides with activity.
 */

export type Principal =
  | { kind: "user"; userId: string; tenantId: string }
  | { kind: "operator"; operatorId: string };

export interface UserSession {
  kind: "user";
  sessionId: string;
  tenantId: string;
  tenantSlug: string;
  userId: string;
  email: string;
  name: string;
  role: Role;
  passwordChangedAt: Date | null;
  expiresAt: Date;
  idleExpiresAt: Date;
  /** "password" or "saml" (a SAML session signs out through Single Logout). */
  authMethod: string;
}

export interface OperatorSession {
  kind: "operator";
  sessionId: string;
  operatorId: string;
  email: string;
  expiresAt: Date;
  idleExpiresAt: Date;
}

export type ActiveSession = UserSession | OperatorSession;

export type SessionEndReason = "signed_out" | "revoked" | "rotated" | "expired_absolute" | "expired_idle" | "user_disabled" | "password_changed" | "signed_out_everywhere";

export function sessionCookieName(): string {
  // __Host- pins the cookie to this exact origin over HTTPS (no Domain, Path=/, Secure).
  return config().secureCookies ? "__Host-atrium.session" : "atrium.session";
}

export async function createSession(
  principal: Principal,
  meta: RequestMeta,
  opts: { authMethod?: string; notOnOrAfter?: Date; sso?: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null } } = {},
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const token = randomToken(32);
  const now = Date.now();
  let maxSeconds: number;
  if (principal.kind === "user") {
    const tenant = await db().tenant.findUniqueOrThrow({ where: { id: principal.tenantId }, select: { sessionMaxSeconds: true } });
    maxSeconds = tenant.sessionMaxSeconds;
  } else {
    maxSeconds = config().OPERATOR_SESSION_MAX_SECONDS;
  }
  let expiresAt = new Date(now + maxSeconds * 1000);
  if (opts.notOnOrAfter && opts.notOnOrAfter < expiresAt) expiresAt = opts.notOnOrAfter;
  const row = await db().session.create({
    data: {
      tokenHash: sha256Hex(token),
      tenantId: principal.kind === "user" ? principal.tenantId : null,
      userId: principal.kind === "user" ? principal.userId : null,
      operatorId: principal.kind === "operator" ? principal.operatorId : null,
      authMethod: opts.authMethod ?? "password",
      ip: meta.ip,
      userAgent: meta.userAgent,
      expiresAt,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      ...(opts.sso ? { ssoNameId: opts.sso.nameId, ssoNameIdFormat: opts.sso.nameIdFormat, ssoSessionIndex: opts.sso.sessionIndex } : {}),
    },
    select: { id: true },
  });
  return { token, sessionId: row.id, expiresAt };
}

/**
 * Resolves a cookie token to a live session and records the activity, or
 * returns null. An expired session is closed (and audited) the first time it is seen.
 */
export async function resolveSession(token: string | undefined | null, meta?: RequestMeta, opts: { touch?: boolean } = {}): Promise<ActiveSession | null> {
  if (!token || token.length > 128) return null;
  const row = await db().session.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: {
      user: { select: { email: true, name: true, role: true, status: true, passwordChangedAt: true } },
      tenant: { select: { slug: true, sessionIdleSeconds: true } },
      operator: { select: { email: true } },
    },
  });
  if (!row || row.revokedAt) return null;
  const now = new Date();
  const idleSeconds = row.tenant ? row.tenant.sessionIdleSeconds : config().OPERATOR_SESSION_IDLE_SECONDS;
  const idleExpiresAt = new Date(row.lastSeenAt.getTime() + idleSeconds * 1000);
  let ended: SessionEndReason | null = null;
  if (row.expiresAt <= now) ended = "expired_absolute";
  else if (idleExpiresAt <= now) ended = "expired_idle";
  else if (row.user && row.user.status !== "active") ended = "user_disabled";
  if (ended) {
    await endSession(row.id, ended, meta);
    return null;
  }
  const touch = opts.touch ?? true;
  let lastSeen = row.lastSeenAt;
  // Write at most once a second per session: idle expiry stays exact to the second.
  if (touch && now.getTime() - row.lastSeenAt.getTime() >= 1000) {
    await db().session.update({ where: { id: row.id }, data: { lastSeenAt: now } });
    lastSeen = now;
  }
  const slidIdle = new Date(Math.min(lastSeen.getTime() + idleSeconds * 1000, row.expiresAt.getTime()));
  if (row.user && row.tenant && row.tenantId && row.userId) {
    return {
      kind: "user",
      sessionId: row.id,
      tenantId: row.tenantId,
      tenantSlug: row.tenant.slug,
      userId: row.userId,
      email: row.user.email,
      name: row.user.name,
      role: row.user.role,
      passwordChangedAt: row.user.passwordChangedAt,
      expiresAt: row.expiresAt,
      idleExpiresAt: slidIdle,
      authMethod: row.authMethod,
    };
  }
  if (row.operator && row.operatorId) {
    return { kind: "operator", sessionId: row.id, operatorId: row.operatorId, email: row.operator.email, expiresAt: row.expiresAt, idleExpiresAt: slidIdle };
  }
  return null;
}

/** Ends one session (idempotent). Returns whether it was live. Audited. */
export async function endSession(sessionId: string, reason: SessionEndReason, meta?: RequestMeta, actor?: { type: "user" | "operator" | "api_key" | "system"; id?: string; label?: string }): Promise<boolean> {
  const { count } = await db().session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: reason } });
  if (count === 0) return false;
  const s = await db().session.findUnique({ where: { id: sessionId }, select: { tenantId: true, userId: true, operatorId: true } });
  const action = reason === "signed_out" ? "session.signed_out" : reason.startsWith("expired") ? "session.expired" : "session.revoked";
  await recordAuditEvent({
    tenantId: s?.tenantId ?? null,
    actor: actor ?? { type: "system" },
    action,
    reason,
    target: { type: "session", id: sessionId },
    meta,
    metadata: { userId: s?.userId ?? s?.operatorId ?? null },
  });
  // Every replica closes this session's workspace sockets and stops its engines (lib/workspace).
  await publishSessionEnded({ sessionId, userId: s?.userId ?? null, tenantId: s?.tenantId ?? null, reason }).catch((err: unknown) =>
    log().error({ err, sessionId }, "could not publish session-ended"),
  );
  return true;
}

/** Ends every live session of a user (optionally keeping one). Returns how many ended. */
export async function endUserSessions(userId: string, reason: SessionEndReason, opts: { except?: string; meta?: RequestMeta; actor?: { type: "user" | "operator" | "api_key" | "system"; id?: string; label?: string } } = {}): Promise<number> {
  const live = await db().session.findMany({
    where: { userId, revokedAt: null, ...(opts.except ? { id: { not: opts.except } } : {}) },
    select: { id: true },
  });
  let ended = 0;
  for (const s of live) if (await endSession(s.id, reason, opts.meta, opts.actor)) ended++;
  return ended;
}
