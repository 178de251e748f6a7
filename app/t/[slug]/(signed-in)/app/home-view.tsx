"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { ErrorAlert } from "@/app/_components/alert";
import { Card, PageHeader } from "@/app/_components/card";
import { LocalTime } from "@/app/_components/local-time";
import type { AppSummary, Me, Role } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

export function HomeView({
  slug,
  initial,
}: {
  slug: string;
  initial: { name: string; email: string; role: Role; expiresAt: string; idleExpiresAt: string };
}) {
  const router = useRouter();
  const me = useApiResource<Me>("/api/me");
  const apps = useApiResource<{ apps: AppSummary[] }>("/api/apps");
  const expired = me.data?.passwordExpired === true;

  useEffect(() => {
    if (expired) router.replace(`/t/${encodeURIComponent(slug)}/account?expired=1`);
  }, [expired, slug, router]);

  const name = me.data?.user.name || initial.name || me.data?.user.email || initial.email;
  const role = me.data?.user.role ?? initial.role;
  const expiresAt = me.data?.session.expiresAt ?? initial.expiresAt;
  const idleExpiresAt = me.data?.session.idleExpiresAt ?? initial.idleExpiresAt;
  const groups = me.data?.user.groups;

  return (
    <div className="space-y-6">
      <PageHeader title={`Welcome, ${name}`} description={me.data?.tenant.name ? `You are signed in to ${me.data.tenant.name}.` : undefined} />
      <ErrorAlert error={me.error} />
      <div className="grid gap-6 md:grid-cols-2">
        <Card title="Your account">
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
            <dt className="text-slate-500">Email</dt>
            <dd>{me.data?.user.email ?? initial.email}</dd>
            <dt className="text-slate-500">Role</dt>
            <dd className="capitalize" data-testid="home-role">
              {role}
            </dd>
            <dt className="text-slate-500">Groups</dt>
            <dd data-testid="home-groups">{groups === undefined ? "Loading…" : groups.length === 0 ? "None" : groups.map((g) => g.name).join(", ")}</dd>
          </dl>
        </Card>
        <Card title="This session">
          <p className="text-sm text-slate-800" data-testid="session-ends">
            Your session ends at <LocalTime value={expiresAt} className="font-medium" />.
          </p>
          <p className="mt-2 text-sm text-slate-600">
            If you are inactive, it ends earlier: at <LocalTime value={idleExpiresAt} /> unless you use Atrium before then.
          </p>
        </Card>
      </div>
      <Card title="Your apps" description="Opening an app starts a private engine for you.">
        <ErrorAlert error={apps.error} />
        {apps.data === null ? (
          apps.error ? null : <p className="text-sm text-slate-500">Loading…</p>
        ) : apps.data.apps.length === 0 ? (
          <p className="text-sm text-slate-600">No apps are shared with you yet. Ask your administrator.</p>
        ) : (
          <ul className="divide-y divide-slate-100" aria-label="Your apps" data-testid="home-apps">
            {apps.data.apps.map((a) => (
              <li key={a.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div>
                  <Link href={`/t/${encodeURIComponent(slug)}/apps/${a.id}`} className="font-medium text-indigo-700 hover:underline">
                    {a.name}
                  </Link>
                  <p className="text-xs text-slate-500">
                    {a.description ? `${a.description} · ` : ""}Version {a.version}
                  </p>
                </div>
                {a.canEdit ? (
                  <Link href={`/t/${encodeURIComponent(slug)}/admin/apps`} className="text-xs font-medium text-slate-600 hover:text-slate-900">
                    Manage apps
                  </Link>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
