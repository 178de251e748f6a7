"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/app/_components/button";

/**
 * Ends this session through next-auth, then shows the right sign-in page. A SAML session signs out through
 * Single Logout instead: a same-origin form POST (with the CSRF token) to /api/saml/<slug>/slo, which ends the
 * session and sends the browser on to the IdP.
 */
export function SignOutButton({ afterSignOut, samlLogout }: { afterSignOut: string; samlLogout?: { action: string; csrfToken: string } }) {
  const [busy, setBusy] = useState(false);
  if (samlLogout) {
    return (
      <form method="post" action={samlLogout.action} onSubmit={() => setBusy(true)}>
        <input type="hidden" name="csrf" value={samlLogout.csrfToken} />
        <Button type="submit" variant="secondary" size="sm" disabled={busy}>
          Sign out
        </Button>
      </form>
    );
  }
  return (
    <Button
      variant="secondary"
      size="sm"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await signOut({ redirect: false });
        } finally {
          window.location.assign(afterSignOut);
        }
      }}
    >
      Sign out
    </Button>
  );
}
