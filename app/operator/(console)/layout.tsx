import type { ReactNode } from "react";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { requireOperatorSession } from "@/lib/auth/current-session";

export default async function OperatorConsoleLayout({ children }: { children: ReactNode }) {
  const session = await requireOperatorSession();
  return (
    <>
      <meta name="csrf-token" content={session.csrfToken} />
      <header className="border-b border-slate-800 bg-slate-900 text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <div className="leading-tight">
            <p className="text-sm font-semibold">Atrium operator console</p>
            <p className="text-xs text-slate-400">Platform administration</p>
          </div>
          <div className="flex items-center gap-3">
            <span className="text-sm text-slate-300" data-testid="signed-in-email">
              {session.email}
            </span>
            <SignOutButton afterSignOut="/operator/sign-in" />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </>
  );
}
