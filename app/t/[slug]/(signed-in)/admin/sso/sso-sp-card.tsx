"use client";

import { useState } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button, buttonClasses } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { CertificateRow } from "./sso-certificate";
import type { SsoState } from "./sso-types";
import { useSsoAction } from "./use-sso-action";

function CopyValue({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="grid gap-1 sm:grid-cols-[12rem_1fr_auto] sm:items-center">
      <dt className="text-sm font-medium text-slate-700">{label}</dt>
      <dd className="font-mono text-xs break-all text-slate-900" data-testid={`sp-${label.toLowerCase().replace(/[^a-z]+/g, "-")}`}>
        {value}
      </dd>
      <dd>
        <Button
          variant="ghost"
          size="sm"
          aria-label={`Copy ${label}`}
          onClick={() => navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </dd>
    </div>
  );
}

/** What the IdP needs from Atrium: entity ID, ACS, SLO, metadata, and the SP certificate(s) with rotation. */
export function SsoSpCard({ state, canWrite, onState }: { state: SsoState; canWrite: boolean; onState: (r: unknown) => void }) {
  const { sp } = state;
  const action = useSsoAction(onState);
  return (
    <Card
      title="Atrium's details for your identity provider"
      description="Register Atrium at your IdP as a SAML application with these values, or give it the SP metadata file. Sign-in requests use HTTP-Redirect, responses come back by HTTP-POST; NameID format: email address."
    >
      <dl className="space-y-3">
        <CopyValue label="Entity ID" value={sp.entityId} />
        <CopyValue label="ACS URL" value={sp.acsUrl} />
        <CopyValue label="SLO URL" value={sp.sloUrl} />
        <CopyValue label="Metadata URL" value={sp.metadataUrl} />
        <CopyValue label="Sign-in URL" value={sp.loginUrl} />
      </dl>
      {sp.certificate ? (
        <div className="mt-6 space-y-3">
          <h3 className="text-sm font-semibold text-slate-900">SP certificates (request signing, assertion encryption)</h3>
          <ul className="space-y-2" aria-label="SP certificates">
            <CertificateRow cert={sp.certificate} label="Current" />
            {sp.previousCertificate ? (
              <CertificateRow
                cert={sp.previousCertificate}
                label="Previous"
                actions={
                  canWrite ? (
                    <Button variant="danger" size="sm" disabled={action.busy} onClick={() => void action.run("DELETE", "/api/sso/sp-certificate/previous", undefined, "The previous SP certificate was retired.")}>
                      Retire previous certificate
                    </Button>
                  ) : null
                }
              />
            ) : null}
          </ul>
          {sp.previousCertificate ? (
            <p className="text-xs text-slate-600">
              Both certificates are in the SP metadata until the previous one is retired. Retire it once your IdP has loaded the new metadata.
            </p>
          ) : null}
          <div className="flex flex-wrap gap-2">
            <a className={buttonClasses("secondary")} href="/api/sso/sp-metadata" download>
              Download SP metadata
            </a>
            {canWrite && !sp.previousCertificate ? (
              <Button variant="secondary" disabled={action.busy} onClick={() => void action.run("POST", "/api/sso/sp-certificate/rotate", {}, "A new SP certificate was created; the previous one stays valid until you retire it.")}>
                Rotate SP certificate
              </Button>
            ) : null}
            {state.connection ? (
              <a className={buttonClasses("secondary")} href={sp.testUrl}>
                Test connection
              </a>
            ) : null}
          </div>
          <ErrorAlert error={action.error} />
          {action.status ? <StatusMessage>{action.status}</StatusMessage> : null}
        </div>
      ) : (
        <p className="mt-4 text-sm text-slate-600">Atrium creates its SP key pair and certificate when you first save or import the IdP configuration.</p>
      )}
    </Card>
  );
}
