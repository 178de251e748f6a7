"use client";

import { useState, type FormEvent } from "react";
import { ErrorAlert, type DisplayError } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { FormCard, PageHeader } from "@/app/_components/card";
import { DataTable, type Column } from "@/app/_components/data-table";
import { TextField } from "@/app/_components/field";
import { LocalTime } from "@/app/_components/local-time";
import { OneTimeLink } from "@/app/_components/one-time-link";
import { api, toApiError } from "@/lib/ui/api-client";
import type { OperatorTenant } from "@/lib/ui/types";
import { useApiResource } from "@/lib/ui/use-api-resource";

interface Created {
  tenant: { slug: string; name: string };
  admin: { id: string; email: string };
  setPasswordUrl: string;
  expiresAt: string;
}

export function TenantsView() {
  const tenants = useApiResource<{ tenants: OperatorTenant[] }>("/api/operator/tenants");
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [domains, setDomains] = useState("");
  const [adminEmail, setAdminEmail] = useState("");
  const [adminName, setAdminName] = useState("");
  const [created, setCreated] = useState<Created | null>(null);
  const [error, setError] = useState<DisplayError | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const r = await api<Created>("POST", "/api/operator/tenants", {
        slug: slug.trim(),
        name: name.trim(),
        domains: domains
          .split(",")
          .map((d) => d.trim())
          .filter(Boolean),
        admin: { email: adminEmail.trim(), ...(adminName.trim() ? { name: adminName.trim() } : {}) },
      });
      setCreated(r);
      setSlug("");
      setName("");
      setDomains("");
      setAdminEmail("");
      setAdminName("");
      tenants.reload();
    } catch (err) {
      setError(toApiError(err));
    }
    setBusy(false);
  }

  const columns: Column<OperatorTenant>[] = [
    {
      header: "Organisation",
      cell: (t) => (
        <div>
          <div className="font-medium text-slate-900">{t.name}</div>
          <code className="font-mono text-xs text-slate-500">/t/{t.slug}</code>
        </div>
      ),
    },
    { header: "Email domains", cell: (t) => (t.domains.length ? t.domains.join(", ") : "—") },
    { header: "Users", cell: (t) => t.userCount },
    { header: "Created", cell: (t) => <LocalTime value={t.createdAt} />, className: "whitespace-nowrap" },
  ];

  return (
    <div className="space-y-6">
      <PageHeader title="Tenants" description="Organisations on this Atrium installation." />
      <FormCard title="Create tenant" description="The first admin gets a one-time link to set their password." onSubmit={create}>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Slug"
            required
            autoComplete="off"
            value={slug}
            onChange={(e) => setSlug(e.target.value)}
            hint="Lowercase letters, digits and hyphens; used in the address /t/slug."
          />
          <TextField label="Organisation name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          <TextField
            label="Email domains (comma separated)"
            autoComplete="off"
            placeholder="example.com, example.org"
            value={domains}
            onChange={(e) => setDomains(e.target.value)}
            className="sm:col-span-2"
          />
          <TextField label="First admin email" type="email" required autoComplete="off" value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} />
          <TextField label="First admin name" autoComplete="off" value={adminName} onChange={(e) => setAdminName(e.target.value)} />
        </div>
        <ErrorAlert error={error} />
        {created ? (
          <OneTimeLink url={created.setPasswordUrl} expiresAt={created.expiresAt} forWhom={`${created.admin.email} (${created.tenant.name})`} />
        ) : null}
        <Button type="submit" disabled={busy}>
          Create tenant
        </Button>
      </FormCard>
      <ErrorAlert error={tenants.error} />
      <DataTable
        caption="Tenants"
        columns={columns}
        rows={tenants.data?.tenants ?? null}
        rowKey={(t) => t.id}
        rowTestId={(t) => `tenant-row-${t.slug}`}
        empty="No tenants yet."
      />
    </div>
  );
}
