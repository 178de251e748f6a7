"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, StatusMessage } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard } from "@/app/_components/card";
import { TextField, inputClasses } from "@/app/_components/field";
import type { SsoState } from "./sso-types";
import { useSsoAction } from "./use-sso-action";

/** Import the IdP's metadata by URL (https, fetched by Atrium) or by pasting the XML. */
export function SsoImportCard({ state, onState }: { state: SsoState; onState: (r: unknown) => void }) {
  const [mode, setMode] = useState<"url" | "xml">("url");
  const [url, setUrl] = useState(state.connection?.metadataUrl ?? "");
  const [xml, setXml] = useState("");
  const action = useSsoAction(onState);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await action.run("POST", "/api/sso/metadata", mode === "url" ? { url } : { xml }, "Metadata imported: the IdP's entity ID, endpoints and signing certificates were updated.");
  }

  return (
    <FormCard
      title="Import IdP metadata"
      description="Fills in the identity provider's entity ID, sign-in and logout URLs and signing certificates; your other settings stay as they are."
      onSubmit={submit}
    >
      <fieldset className="flex gap-4 text-sm">
        <legend className="sr-only">Metadata source</legend>
        <label className="flex items-center gap-2">
          <input type="radio" name="metadata-source" checked={mode === "url"} onChange={() => setMode("url")} className="accent-indigo-600" />
          From a URL
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="metadata-source" checked={mode === "xml"} onChange={() => setMode("xml")} className="accent-indigo-600" />
          Paste XML
        </label>
      </fieldset>
      {mode === "url" ? (
        <TextField
          label="Metadata URL"
          type="url"
          placeholder="https://idp.example.com/app/metadata.xml"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          hint="https only. Atrium fetches it once now (up to 1 MiB, 10 seconds, no redirects, never from internal addresses)."
        />
      ) : (
        <div>
          <label htmlFor="sso-metadata-xml" className="mb-1 block text-sm font-medium text-slate-700">
            Metadata XML
          </label>
          <textarea id="sso-metadata-xml" rows={8} className={`${inputClasses} font-mono text-xs`} value={xml} onChange={(e) => setXml(e.target.value)} placeholder='<md:EntityDescriptor entityID="…">' />
        </div>
      )}
      <ErrorAlert error={action.error} />
      {action.status ? <StatusMessage>{action.status}</StatusMessage> : null}
      <Button type="submit" disabled={action.busy || (mode === "url" ? !url.trim() : !xml.trim())}>
        Import metadata
      </Button>
    </FormCard>
  );
}
