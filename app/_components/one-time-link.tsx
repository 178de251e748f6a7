"use client";

import { useState } from "react";
import { Button } from "@/app/_components/button";
import { LocalTime } from "@/app/_components/local-time";

/** A set-password link shown once, with a copy button. */
export function OneTimeLink({ url, expiresAt, forWhom }: { url: string; expiresAt: string; forWhom?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="rounded-lg border border-indigo-200 bg-indigo-50 px-4 py-3 text-sm text-indigo-950">
      {forWhom ? <p className="font-medium">Set-password link for {forWhom}</p> : null}
      <p className="mt-1">
        Copy this one-time link and send it to the person. It expires at <LocalTime value={expiresAt} />.
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code data-testid="set-password-link" className="rounded-md bg-white px-2 py-1 font-mono text-xs break-all text-slate-900 ring-1 ring-indigo-200 select-all">
          {url}
        </code>
        <Button
          variant="secondary"
          size="sm"
          onClick={() => {
            navigator.clipboard?.writeText(url).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? "Copied" : "Copy link"}
        </Button>
      </div>
    </div>
  );
}
