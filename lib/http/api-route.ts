import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { recordAuditEvent, type Actor } from "@/lib/audit/record-audit-event";
import { resolveApiKey } from "@/lib/auth/api-keys";
import { isPasswordExpired, passwordPolicyOf } from "@/lib/auth/password-policy";
import { can, type Permission } from "@/lib/auth/permissions";
import { resolveSession, sessionCookieName, type OperatorSession, type UserSession } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/client";
import { AppError, badRequest, forbidden, tooMany, unauthorized } from "@/lib/http/errors";
import { CSRF_HEADER, csrfTokenValid, requestOrigin } from "@/lib/http/csrf";
import { readBodyText } from "@/lib/http/read-body";
import { requestMetaFrom, type RequestMeta } from "@/lib/http/request-meta";
import { limitApiByIp, limitApiByPrincipal, limitApiByTenant } from "@/lib/security/rate-limits";
import { scopedDb, type ScopedDb } from "@/lib/tenancy/scoped-db";
import { log } from "@/lib/log";

/**
 * The one wrapper around every JSON route (except next-auth's own). It resolves
 * the caller (session cookie or API key), the tenant (from that credential,
 * never from the request), checks the permission matrix, CSRF and rate limits,
 * parses input with zod, and maps every failure to a clear 4xx — or to a 500
 * carrying only a correlation id. Route files stay a few lines long.
 */

const MAX_BODY_BYTES = 64 * 1024;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface TenantContext {
  tenantId: string;
  role: Role;
  actor: Actor;
  /** The signed-in user (absent for API keys). */
  user: UserSession | null;
  db: ScopedDb;
  meta: RequestMeta;
  audit(e: { action: string; target?: { type: string; id: string }; outcome?: "success" | "failure"; reason?: string; metadata?: Record<string, unknown> }): Promise<void>;
}

export interface SelfContext extends TenantContext {
  user: UserSession;
}

export interface OperatorContext {
  operator: OperatorSession;
  actor: Actor;
  meta: RequestMeta;
}

export interface PublicContext {
  meta: RequestMeta;
}

type AuthMode = "tenant" | "self" | "operator" | "public";
type CtxFor<M extends AuthMode> = M extends "tenant" ? TenantContext : M extends "self" ? SelfContext : M extends "operator" ? OperatorContext : PublicContext;

interface RouteOptions<M extends AuthMode, B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  auth: M;
  /** Required for "tenant" routes. */
  permission?: M extends "tenant" ? Permission : never;
  body?: B;
  query?: Q;
  /** Routes a user with an expired password may still call (changing it, signing out). */
  allowExpiredPassword?: boolean;
  /** A larger JSON body limit for the rare route that needs one (pasted SAML metadata); default 64 KiB. */
  maxBodyBytes?: number;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

type Handler<M extends AuthMode, B, Q> = (
  ctx: CtxFor<M>,
  input: { body: Infer<B>; query: Infer<Q>; params: Record<string, string> },
) => Promise<unknown>;

const ID_PARAM = /^[0-9a-f]{32}$/;

export function apiRoute<M extends AuthMode, B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  options: RouteOptions<M, B, Q>,
  handler: Handler<M, B, Q>,
) {
  return async (req: NextRequest, routeCtx: { params: Promise<Record<string, string | string[]>> }): Promise<Response> => {
    const meta = requestMetaFrom(req.headers);
    let tenantIdForAudit: string | null = null;
    let actorForAudit: Actor = { type: "anonymous" };
    try {
      const ipLimit = await limitApiByIp(meta.ip);
      if (!ipLimit.allowed) throw tooMany(ipLimit);

      const unsafe = UNSAFE.has(req.method);
      const origin = requestOrigin(req.headers);
      if (unsafe && origin === "cross") throw new AppError(403, "csrf", "Cross-site request refused.");

      let ctx: TenantContext | SelfContext | OperatorContext | PublicContext;
      if (options.auth === "public") {
        ctx = { meta };
      } else {
        const bearer = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
        const cookie = req.cookies.get(sessionCookieName())?.value;
        if (bearer && options.auth === "tenant") {
          const key = await resolveApiKey(bearer);
          if (!key) throw unauthorized("The API key is invalid, expired or revoked.");
          tenantIdForAudit = key.tenantId;
          actorForAudit = { type: "api_key", id: key.keyId, label: key.name };
          ctx = tenantContext(key.tenantId, key.role, actorForAudit, null, meta);
        } else {
          if (bearer) throw unauthorized("This endpoint needs a signed-in user; API keys cannot use it.");
          const session = await resolveSession(cookie, meta);
          if (!session) throw unauthorized("Your session has ended. Sign in again.");
          if (unsafe && (origin !== "same" || !csrfTokenValid(session.sessionId, req.headers.get(CSRF_HEADER)))) {
            throw new AppError(403, "csrf", "Missing or invalid CSRF token. Reload the page and try again.");
          }
          if (options.auth === "operator") {
            if (session.kind !== "operator") throw forbidden("Only platform operators may do that.");
            actorForAudit = { type: "operator", id: session.operatorId, label: session.email };
            ctx = { operator: session, actor: actorForAudit, meta };
          } else {
            if (session.kind !== "user") throw forbidden("Operators act through the operator console, not as tenant users.");
            tenantIdForAudit = session.tenantId;
            actorForAudit = { type: "user", id: session.userId, label: session.email };
            if (!options.allowExpiredPassword) await refuseExpiredPassword(session);
            ctx = tenantContext(session.tenantId, session.role, actorForAudit, session, meta);
          }
        }
        const principalLimit = await limitApiByPrincipal(actorForAudit.id ?? "anonymous");
        if (!principalLimit.allowed) throw tooMany(principalLimit);
        if (tenantIdForAudit) {
          const tenantLimit = await limitApiByTenant(tenantIdForAudit);
          if (!tenantLimit.allowed) throw tooMany(tenantLimit, "Your organisation is sending too many requests. Try again shortly.");
        }
        if (options.auth === "tenant") {
          const t = ctx as TenantContext;
          if (!options.permission) throw new Error("tenant route without a permission");
          if (!can(t.role, options.permission)) throw forbidden();
        }
      }

      // After authentication, so a refusal is on the caller's own record.
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries((await routeCtx.params) ?? {})) {
        const value = Array.isArray(v) ? v.join("/") : v;
        // Ids are 128-bit hex; anything else cannot exist, so it is simply not found.
        if (k === "id" && !ID_PARAM.test(value)) throw new AppError(404, "not_found", "No such resource.");
        params[k] = value;
      }

      const query = options.query ? parse(options.query, Object.fromEntries(req.nextUrl.searchParams), "query") : undefined;
      const body = options.body ? parse(options.body, await readJson(req, options.maxBodyBytes ?? MAX_BODY_BYTES), "body") : undefined;
      const result = await handler(ctx as CtxFor<M>, { body: body as Infer<B>, query: query as Infer<Q>, params });
      if (result instanceof Response) return withNoStore(result);
      return withNoStore(NextResponse.json(result ?? { ok: true }, { status: req.method === "POST" ? 201 : 200 }));
    } catch (error) {
      return errorResponse(error, meta, tenantIdForAudit, actorForAudit, req);
    }
  };
}

function tenantContext(tenantId: string, role: Role, actor: Actor, user: UserSession | null, meta: RequestMeta): TenantContext {
  return {
    tenantId,
    role,
    actor,
    user,
    db: scopedDb(tenantId),
    meta,
    audit: (e) => recordAuditEvent({ tenantId, actor, meta, ...e }),
  };
}

async function refuseExpiredPassword(session: UserSession): Promise<void> {
  const tenant = await db().tenant.findUniqueOrThrow({ where: { id: session.tenantId } });
  if (isPasswordExpired(passwordPolicyOf(tenant), session.passwordChangedAt)) {
    throw new AppError(403, "password_expired", "Your password has expired. Choose a new one to continue.");
  }
}

async function readJson(req: NextRequest, maxBytes: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) throw new AppError(415, "unsupported_media_type", "Send the request body as JSON (Content-Type: application/json).");
  const text = await readBodyText(req, maxBytes);
  if (text === null) throw new AppError(413, "payload_too_large", `The request body is larger than ${maxBytes / 1024} KiB.`);
  if (text.trim() === "") throw badRequest("The request body is empty; send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
}

/** Parses with zod or throws the same 400 (first issue as message, all in details.issues) every route gives. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: "body" | "query"): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: i.path.join(".") || where, message: i.message }));
  const first = issues[0];
  throw badRequest(first ? (first.field === where ? first.message : `${first.field}: ${first.message}`) : `Invalid ${where}.`, { issues });
}

function withNoStore(res: Response): Response {
  res.headers.set("cache-control", "no-store");
  return res;
}

/** Prisma's "unique constraint" and "record not found" errors, recognised without importing its runtime. */
function prismaCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^P\d{4}$/.test(code) ? code : undefined;
}

async function errorResponse(error: unknown, meta: RequestMeta, tenantId: string | null, actor: Actor, req: NextRequest): Promise<Response> {
  let e: AppError;
  if (error instanceof AppError) e = error;
  else if (prismaCode(error) === "P2002") e = new AppError(409, "conflict", "That already exists.");
  else if (prismaCode(error) === "P2025") e = new AppError(404, "not_found", "No such resource.");
  else {
    log().error({ err: error, requestId: meta.requestId, path: req.nextUrl.pathname }, "unhandled error in API route");
    e = new AppError(500, "internal", `Something went wrong on our side. Reference: ${meta.requestId}`);
  }
  if (e.status !== 500 && !e.quiet && !(e.status === 401 && req.method === "GET")) {
    // Every refusal is on the record (an expired session's GETs are the one noisy exception).
    await recordAuditEvent({
      tenantId,
      actor,
      action: "request.rejected",
      outcome: "failure",
      reason: e.code,
      meta,
      metadata: { status: e.status, method: req.method, path: req.nextUrl.pathname.slice(0, 200), message: e.message },
    }).catch((err: unknown) => log().error({ err, requestId: meta.requestId }, "could not audit a rejected request"));
  }
  const res = NextResponse.json(
    { error: { code: e.code, message: e.message, requestId: meta.requestId, ...(e.details ? { details: e.details } : {}) } },
    { status: e.status },
  );
  const retry = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (e.status === 429 && retry) res.headers.set("retry-after", String(retry));
  return withNoStore(res);
}

/** Ids in bodies: 128-bit hex, like every id Atrium hands out. */
export const idSchema = z.string().regex(/^[0-9a-f]{32}$/, "must be an id");
