"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { focusRing } from "@/app/_components/button";
import type { Me } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

/** Workspace admin pages: shown to whoever's permissions (GET /api/me) include `permission`. */
const WORKSPACE_LINKS: readonly { path: string; label: string; permission: string }[] = [
  { path: "admin/apps", label: "Apps", permission: "apps:read" },
  { path: "admin/engines", label: "Engines", permission: "engines:read" },
];

/**
 * The main navigation. In a tenant's signed-in frame it adds the workspace admin
 * links ("Apps" with apps:read, "Engines" with engines:read) from the caller's
 * permissions, unless the links passed in already have them.
 */
export function NavLinks({ links, label }: { links: readonly { href: string; label: string }[]; label: string }) {
  const pathname = usePathname();
  const tenant = label === "Main" ? /^\/t\/([^/]+)\//.exec(pathname)?.[1] : undefined;
  const me = useApiResource<Me>(tenant && !pathname.startsWith(`/t/${tenant}/sign-in`) ? "/api/me" : null);
  const permissions = new Set(me.data?.permissions ?? []);
  const all = [...links];
  if (tenant) {
    for (const l of WORKSPACE_LINKS) {
      const href = `/t/${tenant}/${l.path}`;
      if (permissions.has(l.permission) && !all.some((x) => x.href === href)) all.push({ href, label: l.label });
    }
  }
  return (
    <nav aria-label={label}>
      <ul className="flex flex-wrap gap-1">
        {all.map((l) => {
          const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-lg px-3 py-1.5 text-sm font-medium ${focusRing} ${
                  active ? "bg-indigo-50 text-indigo-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                }`}
              >
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
