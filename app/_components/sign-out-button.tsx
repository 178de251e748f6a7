"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/app/_components/button";

/**
 * Ends this session through next-auth, then shows the right sign-in page. A SAML session signs out through
 * Single Logout instead: a same-origin POST (with the CSRF token) to /api/saml/<slug>/slo ends the session and
 * answers where to go next (the IdP's logout URL); the browser then navigates there itself, because the CSP's
 * form-action 'self' would block a form submission that redirects to the IdP.
 */
export function SignOutButton({ afterSignOut, samlLogout }: { afterSignOut: string; samlLogout?: { action: string; csrfToken: string } }) {
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant="secondary"
      size="sm"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        let next = afterSignOut;
        try {
          if (samlLogout) {
            const res = await fetch(samlLogout.action, {
              method: "POST",
              headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({ csrf: samlLogout.csrfToken }).toString(),
            });
            const body = (await res.json().catch(() => null)) as { location?: string } | null;
            if (res.ok && body?.location) next = body.location;
            // Whatever went wrong with Single Logout, this session must still end here.
            else await signOut({ redirect: false });
          } else {
            await signOut({ redirect: false });
          }
        } finally {
          window.location.assign(next);
        }
      }}
    >
      Sign out
    </Button>
  );
}
