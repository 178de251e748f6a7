"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Card, FormCard } from "@/app/_components/card";
import { CheckboxField, TextField, inputClasses } from "@/app/_components/field";
import { CertificateRow } from "./sso-certificate";
import type { SsoState } from "./sso-types";
import { useSsoAction } from "./use-sso-action";

const PEM_PLACEHOLDER = "-----BEGIN CERTIFICATE-----\nMIID…\n-----END CERTIFICATE-----";

function PemField({ id, label, value, onChange, disabled }: { id: string; label: string; value: string; onChange: (v: string) => void; disabled?: boolean }) {
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        {label}
      </label>
      <textarea id={id} rows={5} disabled={disabled} className={`${inputClasses} font-mono text-xs`} value={value} onChange={(e) => onChange(e.target.value)} placeholder={PEM_PLACEHOLDER} />
    </div>
  );
}

/** The identity provider's endpoints (manual entry) and its signing certificates (rollover: add the new, remove the old). */
export function SsoIdpCard({ state, canWrite, onState }: { state: SsoState; canWrite: boolean; onState: (r: unknown) => void }) {
  const idp = state.connection?.idp;
  const [entityId, setEntityId] = useState(idp?.entityId ?? "");
  const [ssoUrl, setSsoUrl] = useState(idp?.ssoUrl ?? "");
  const [sloUrl, setSloUrl] = useState(idp?.sloUrl ?? "");
  const [signed, setSigned] = useState(idp?.wantsSignedRequests ?? false);
  const [firstCert, setFirstCert] = useState("");
  const [newCert, setNewCert] = useState("");
  const [seen, setSeen] = useState(idp);
  const save = useSsoAction(onState);
  const certs = useSsoAction(onState);

  // An import or another save replaced the IdP fields: show them.
  if (idp !== seen) {
    setSeen(idp);
    setEntityId(idp?.entityId ?? "");
    setSsoUrl(idp?.ssoUrl ?? "");
    setSloUrl(idp?.sloUrl ?? "");
    setSigned(idp?.wantsSignedRequests ?? false);
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = { entityId, ssoUrl, sloUrl: sloUrl.trim() || null, wantsSignedRequests: signed, ...(idp ? {} : { certificates: [firstCert] }) };
    if (await save.run("PUT", "/api/sso", body, "Identity provider saved.")) setFirstCert("");
  }

  const httpHint = state.allowPrivate ? "https:// (http:// is accepted on this installation for development IdPs)." : "https:// only.";
  return (
    <>
      <FormCard title="Identity provider" description="Entered by hand, or filled in by a metadata import." onSubmit={submit}>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="IdP entity ID (issuer)" value={entityId} disabled={!canWrite} onChange={(e) => setEntityId(e.target.value)} placeholder="https://idp.example.com/entity" />
          <TextField label="Sign-in (SSO) URL" type="url" value={ssoUrl} disabled={!canWrite} onChange={(e) => setSsoUrl(e.target.value)} hint={`HTTP-Redirect binding. ${httpHint}`} />
          <TextField label="Logout (SLO) URL" type="url" value={sloUrl} disabled={!canWrite} onChange={(e) => setSloUrl(e.target.value)} hint="Optional. HTTP-Redirect binding." />
        </div>
        <CheckboxField label="The IdP wants signed sign-in requests" checked={signed} disabled={!canWrite} onChange={(e) => setSigned(e.target.checked)} hint="Atrium then signs its AuthnRequests with the SP key (and says so in its metadata)." />
        {!idp ? <PemField id="sso-first-cert" label="IdP signing certificate (PEM)" value={firstCert} onChange={setFirstCert} disabled={!canWrite} /> : null}
        <ErrorAlert error={save.error} />
        {save.status ? <StatusMessage>{save.status}</StatusMessage> : null}
        {canWrite ? (
          <Button type="submit" disabled={save.busy}>
            Save identity provider
          </Button>
        ) : null}
      </FormCard>

      {idp ? (
        <Card
          title="IdP signing certificates"
          description="Responses must be signed by one of these. For a rollover, add the IdP's new certificate before it switches, then remove the old one; the last certificate cannot be removed."
        >
          <ul className="space-y-2" aria-label="IdP signing certificates">
            {idp.certificates.map((c) => (
              <CertificateRow
                key={c.fingerprint}
                cert={c}
                actions={
                  canWrite && idp.certificates.length > 1 ? (
                    <Button variant="danger" size="sm" disabled={certs.busy} aria-label={`Remove certificate ${c.subject}`} onClick={() => void certs.run("DELETE", `/api/sso/certificates/${c.fingerprint}`, undefined, "Certificate removed.")}>
                      Remove
                    </Button>
                  ) : null
                }
              />
            ))}
          </ul>
          {canWrite ? (
            <form
              className="mt-4 space-y-3"
              aria-label="Add an IdP certificate"
              onSubmit={async (e) => {
                e.preventDefault();
                if (await certs.run("POST", "/api/sso/certificates", { certificate: newCert }, "Certificate added.")) setNewCert("");
              }}
            >
              <PemField id="sso-new-cert" label="Add a certificate (PEM)" value={newCert} onChange={setNewCert} />
              <Button type="submit" variant="secondary" disabled={certs.busy || !newCert.trim()}>
                Add certificate
              </Button>
            </form>
          ) : null}
          <ErrorAlert error={certs.error} className="mt-3" />
          {certs.status ? <StatusMessage className="mt-3">{certs.status}</StatusMessage> : null}
        </Card>
      ) : null}
    </>
  );
}
