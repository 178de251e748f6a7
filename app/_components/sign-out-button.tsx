"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/app/_components/button";

/** Ends this session through next-auth, then shows the right sign-in page. */
export function SignOutButton({ afterSignOut }: { afterSignOut: string }) {
  const [busy, setBusy] = useState(false);
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
