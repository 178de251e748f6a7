import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { StatusMessage } from "@/app/_components/alert";
import { CenteredCard } from "@/app/_components/centered-card";
import { PasswordSignInForm } from "@/app/_components/password-sign-in-form";
import { currentSession } from "@/lib/auth/current-session";
import { findTenantBySlug } from "@/lib/tenancy/find-tenant-by-slug";

export const metadata: Metadata = { title: "Sign in · Atrium" };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

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

  const notice =
    first(query.ended) === "1" ? "Your session has ended. Please sign in again." : first(query.signedout) === "1" ? "You have signed out." : null;

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
      <PasswordSignInForm
        provider="tenant-password"
        tenant={tenant.slug}
        initialEmail={(first(query.email) ?? "").slice(0, 320)}
        destination={`/t/${encodeURIComponent(tenant.slug)}/app`}
      />
      <p className="mt-4 text-xs text-slate-500">Forgot your password? Ask your administrator for a set-password link.</p>
    </CenteredCard>
  );
}
