import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { StatusMessage } from "@/app/_components/alert";
import { CenteredCard } from "@/app/_components/centered-card";
import { PasswordSignInForm } from "@/app/_components/password-sign-in-form";
import { buttonClasses } from "@/app/_components/button";
import { currentSession } from "@/lib/auth/current-session";
import { db } from "@/lib/db/client";
import { spEndpoints } from "@/lib/saml/connection";
import { findTenantBySlug } from "@/lib/tenancy/find-tenant-by-slug";
import { firstParam } from "@/lib/ui/search-params";

export const metadata: Metadata = { title: "Sign in · Atrium" };

export default async function TenantSignInPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug } = await params;
  const query = await searchParams;
  const tenant = await findTenantBySlug(slug);
  if (!tenant) notFound();

  const session = await currentSession();
  if (session?.kind === "user" && session.tenantSlug === tenant.slug) redirect(`/t/${encodeURIComponent(tenant.slug)}/app`);

  const sso = await db().ssoConnection.findUnique({ where: { tenantId: tenant.id }, select: { enabled: true, requireSso: true } });
  const ssoEnabled = !!sso?.enabled;
  const ssoRequired = ssoEnabled && !!sso?.requireSso;

  const notice =
    firstParam(query.ended) === "1" ? "Your session has ended. Please sign in again." : firstParam(query.signedout) === "1" ? "You have signed out." : null;

  const passwordForm = (
    <PasswordSignInForm
      provider="tenant-password"
      tenant={tenant.slug}
      initialEmail={(firstParam(query.email) ?? "").slice(0, 320)}
      destination={`/t/${encodeURIComponent(tenant.slug)}/app`}
    />
  );

  return (
    <CenteredCard
      title={`Sign in to ${tenant.name}`}
      footer={
        <Link href="/" className="font-medium text-slate-600 underline-offset-4 hover:text-slate-900 hover:underline">
          Not your organisation?
        </Link>
      }
    >
      {notice ? <StatusMessage className="mb-4">{notice}</StatusMessage> : null}
      {ssoEnabled ? (
        <div className="mb-6 space-y-2">
          <a href={spEndpoints(tenant.slug).loginUrl} className={`${buttonClasses("primary")} w-full`}>
            Sign in with SSO
          </a>
          <p className="text-center text-xs text-slate-500">Uses your company account at {tenant.name}&apos;s identity provider.</p>
        </div>
      ) : null}
      {ssoRequired ? (
        <details className="rounded-lg border border-slate-200 px-4 py-3">
          <summary className="cursor-pointer text-sm font-medium text-slate-700">Administrator sign-in</summary>
          <p className="mt-2 mb-4 text-xs text-slate-500">Only for break-glass administrators while single sign-on is unavailable.</p>
          {passwordForm}
        </details>
      ) : (
        <>
          {ssoEnabled ? <p className="mb-4 text-center text-xs font-medium tracking-wide text-slate-400 uppercase">or with your password</p> : null}
          {passwordForm}
          <p className="mt-4 text-xs text-slate-500">Forgot your password? Ask your administrator for a set-password link.</p>
        </>
      )}
    </CenteredCard>
  );
}
