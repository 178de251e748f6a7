import type { Metadata } from "next";
import Link from "next/link";
import { CenteredCard } from "@/app/_components/centered-card";
import { findTenantBySlug } from "@/lib/tenancy/find-tenant-by-slug";
import { firstParam } from "@/lib/ui/search-params";

export const metadata: Metadata = { title: "Sign-in problem · Atrium" };

/** What the user is told per kind (lib/saml/flows/sso-failure.ts); the precise reason is in the audit log only. */
const MESSAGES: Record<string, { title: string; what: string; todo: string }> = {
  failed: {
    title: "We could not sign you in",
    what: "Your organisation's identity provider sent an answer that Atrium could not accept, so nobody was signed in.",
    todo: "Try signing in again. If it happens again, give your administrator the reference below.",
  },
  not_provisioned: {
    title: "You don't have an account here yet",
    what: "Your identity provider confirmed who you are, but there is no Atrium account for you in this organisation and accounts are not created automatically.",
    todo: "Ask your administrator to invite you, then sign in again.",
  },
  user_disabled: {
    title: "Your account is disabled",
    what: "Your identity provider confirmed who you are, but your Atrium account in this organisation is disabled.",
    todo: "Ask your administrator to enable it again.",
  },
  unavailable: {
    title: "Single sign-on is not available",
    what: "This organisation has no single sign-on set up, or it is switched off at the moment.",
    todo: "Sign in with your password if you have one, or ask your administrator.",
  },
  rate_limited: {
    title: "Too many attempts",
    what: "There were too many sign-in attempts from your network in a short time.",
    todo: "Wait a few minutes, then try again.",
  },
  not_allowed: {
    title: "Only administrators can do that",
    what: "Testing the single sign-on connection needs a signed-in owner or administrator of this organisation.",
    todo: "Sign in as an administrator and start the test from the SSO settings.",
  },
  logout_failed: {
    title: "Sign-out could not be completed",
    what: "A single sign-out message from your identity provider could not be accepted. Your Atrium session may still be open.",
    todo: "Sign out from Atrium's menu. If it happens again, give your administrator the reference below.",
  },
};

export default async function SsoErrorPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug } = await params;
  const query = await searchParams;
  const kind = firstParam(query.kind) ?? "failed";
  const message = MESSAGES[kind] ?? MESSAGES.failed!;
  const ref = (firstParam(query.ref) ?? "").replace(/[^A-Za-z0-9-]/g, "").slice(0, 64);
  const tenant = await findTenantBySlug(slug);
  const signIn = tenant ? `/t/${encodeURIComponent(tenant.slug)}/sign-in` : "/";

  return (
    <CenteredCard title={message.title} subtitle={tenant ? tenant.name : undefined}>
      <div className="space-y-3 text-sm text-slate-700" data-testid="sso-error" data-kind={kind}>
        <p>{message.what}</p>
        <p>{message.todo}</p>
        {ref ? (
          <p className="rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-600">
            Reference: <code data-testid="sso-error-ref" className="font-mono text-slate-900">{ref}</code>
          </p>
        ) : null}
        <p>
          <Link href={signIn} className="font-medium text-indigo-700 underline-offset-4 hover:underline">
            Back to sign-in
          </Link>
        </p>
      </div>
    </CenteredCard>
  );
}
