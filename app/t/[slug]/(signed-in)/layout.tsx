import type { ReactNode } from "react";
import { NavLinks } from "@/app/_components/nav-links";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { requireUserSession } from "@/lib/auth/current-session";
import { can, type Permission } from "@/lib/auth/permissions";
import { findTenantBySlug } from "@/lib/tenancy/find-tenant-by-slug";

const ADMIN_LINKS: readonly { path: string; label: string; permission: Permission }[] = [
  { path: "admin/users", label: "Users", permission: "users:read" },
  { path: "admin/groups", label: "Groups", permission: "groups:read" },
  { path: "admin/policies", label: "Policies", permission: "policies:read" },
  { path: "admin/sso", label: "Single sign-on", permission: "sso:read" },
  { path: "admin/sessions", label: "Sessions", permission: "sessions:read" },
  { path: "admin/api-keys", label: "API keys", permission: "apiKeys:read" },
  { path: "admin/audit", label: "Audit log", permission: "audit:read" },
];

export default async function SignedInLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const session = await requireUserSession(slug);
  const tenant = await findTenantBySlug(session.tenantSlug);
  const base = `/t/${encodeURIComponent(session.tenantSlug)}`;
  const links = [
    { href: `${base}/app`, label: "Home" },
    { href: `${base}/account`, label: "Account" },
    ...ADMIN_LINKS.filter((l) => can(session.role, l.permission)).map((l) => ({ href: `${base}/${l.path}`, label: l.label })),
  ];

  return (
    <>
      <meta name="csrf-token" content={session.csrfToken} />
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <div className="flex items-center gap-3">
            <span aria-hidden className="grid size-8 place-items-center rounded-lg bg-indigo-600 text-sm font-semibold text-white">
              {(tenant?.name ?? session.tenantSlug).slice(0, 1).toUpperCase()}
            </span>
            <div className="leading-tight">
              <p className="text-sm font-semibold text-slate-900">{tenant?.name ?? session.tenantSlug}</p>
              <p className="text-xs text-slate-500">Atrium</p>
            </div>
          </div>
          <div className="flex items-center gap-3">
            <span className="text-sm text-slate-600" data-testid="signed-in-email">
              {session.email}
            </span>
            <SignOutButton
              afterSignOut={`${base}/sign-in?signedout=1`}
              samlLogout={session.authMethod === "saml" ? { action: `/api/saml/${encodeURIComponent(session.tenantSlug)}/slo`, csrfToken: session.csrfToken } : undefined}
            />
          </div>
        </div>
        <div className="mx-auto max-w-6xl px-4 pb-2 sm:px-6">
          <NavLinks label="Main" links={links} />
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </>
  );
}
