import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { config } from "@/lib/config";
import type { RequestMeta } from "@/lib/http/request-meta";
import { log } from "@/lib/log";
import { describeSamlReason, SAML_REASONS, type SamlReason } from "@/lib/saml/reasons";

/**
 * Every refused SAML flow ends here: one audit row (`auth.sso_failed`: the precise reason code, the detail, the
 * IdP, and a correlation id) and a 303 to the SSO error page, which shows the user a plain explanation and the
 * SAME correlation id (the request id), never the detail. No cookie is set on this path.
 */

/** What the user is told (the page picks the words); the precise reason stays in the audit log. */
export type SsoErrorKind = "failed" | "not_provisioned" | "user_disabled" | "unavailable" | "rate_limited" | "not_allowed" | "logout_failed";

/** Reasons of the flows themselves, next to the validator's (lib/saml/reasons.ts). */
export const SSO_FLOW_REASONS = {
  sso_not_configured: "The organisation has no SSO connection (or the address names no organisation).",
  sso_disabled: "The organisation's SSO connection is switched off.",
  rate_limited: "Too many SSO requests from this address.",
  bad_request: "The request is not a SAML message this endpoint accepts (method, content type or missing field).",
  email_missing: "The assertion carries no usable email address (neither the mapped attribute nor an emailAddress NameID).",
  user_disabled: "The user exists in the organisation but is disabled.",
  jit_disabled: "The user does not exist in the organisation and just-in-time provisioning is off.",
  test_not_allowed: "A connection test was started or finished without a signed-in owner or admin of the organisation.",
  completion_unknown: "The sign-in completion link is unknown, expired or was already used.",
  browser_mismatch: "The sign-in was completed in a browser other than the one that started it (login CSRF defence).",
  logout_unsigned: "An IdP-initiated LogoutRequest was neither signed nor named a live session (SessionIndex).",
  logout_in_response_to_unknown: "The LogoutResponse answers no logout request this SP sent (expired or already used).",
  logout_status_not_success: "The IdP answered the LogoutRequest with a non-Success status.",
} as const;

export type SsoFailureReason = SamlReason | keyof typeof SSO_FLOW_REASONS;

export function describeSsoReason(reason: SsoFailureReason): string {
  return reason in SAML_REASONS ? describeSamlReason(reason as SamlReason) : SSO_FLOW_REASONS[reason as keyof typeof SSO_FLOW_REASONS];
}

export interface SsoFailure {
  slug: string;
  tenantId: string | null;
  idpEntityId: string | null;
  reason: SsoFailureReason;
  detail: string;
  kind: SsoErrorKind;
  meta: RequestMeta;
  /** login | acs | slo | test — which endpoint refused. */
  flow: string;
}

export function ssoErrorPath(slug: string, kind: SsoErrorKind, correlationId: string): string {
  const safeSlug = /^[a-z0-9-]{1,40}$/.test(slug) ? slug : "_";
  return `/t/${safeSlug}/sso-error?kind=${kind}&ref=${encodeURIComponent(correlationId)}`;
}

export async function ssoFailure(f: SsoFailure): Promise<Response> {
  const correlationId = f.meta.requestId;
  await recordAuditEvent({
    tenantId: f.tenantId,
    actor: { type: "anonymous" },
    action: "auth.sso_failed",
    outcome: "failure",
    reason: f.reason,
    meta: f.meta,
    metadata: {
      correlationId,
      flow: f.flow,
      detail: f.detail.slice(0, 1000),
      reasonText: describeSsoReason(f.reason),
      idpEntityId: f.idpEntityId,
      tenantSlug: f.slug.slice(0, 64),
    },
  }).catch((err: unknown) => log().error({ err, correlationId }, "could not audit an SSO failure"));
  return redirect303(`${config().PUBLIC_ORIGIN}${ssoErrorPath(f.slug, f.kind, correlationId)}`);
}

export function redirect303(location: string, headers: Record<string, string | string[]> = {}): Response {
  const h = new Headers({ location, "cache-control": "no-store" });
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  return new Response(null, { status: 303, headers: h });
}
