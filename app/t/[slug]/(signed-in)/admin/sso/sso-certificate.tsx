"use client";

import type { ReactNode } from "react";
import { LocalTime } from "@/app/_components/local-time";
import type { CertificateInfo } from "./sso-types";

/** SHA-256 fingerprint in the colon-separated form IdP consoles show. */
export function colonFingerprint(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/** One certificate: subject, SHA-256 fingerprint, expiry (warned 30 days ahead). */
export function CertificateRow({ cert, label, actions }: { cert: CertificateInfo; label?: string; actions?: ReactNode }) {
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 rounded-lg border border-slate-200 px-4 py-3" data-testid="certificate" data-fingerprint={cert.fingerprint}>
      <div className="min-w-0 space-y-1 text-sm">
        <p className="font-medium text-slate-900">
          {label ? <span className="mr-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">{label}</span> : null}
          {cert.subject || "(no subject)"}
        </p>
        <p className="font-mono text-xs break-all text-slate-600">SHA-256 {colonFingerprint(cert.fingerprint)}</p>
        <p className="text-xs text-slate-600">
          Valid until <LocalTime value={cert.notAfter} />
          {cert.expired ? <span className="ml-2 rounded bg-red-100 px-1.5 py-0.5 font-medium text-red-800">Expired</span> : null}
          {cert.expiresSoon ? <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900">Expires within 30 days</span> : null}
        </p>
      </div>
      {actions}
    </li>
  );
}
