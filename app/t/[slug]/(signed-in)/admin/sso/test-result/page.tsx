import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireUserSession } from "@/lib/auth/current-session";
import { readSamlTestResult } from "@/lib/saml/flows/consume-saml-response";

export const metadata: Metadata = { title: "SSO test result · Atrium" };

/** What the IdP sent during this admin's last "test connection" (kept a few minutes in Redis; no session was created). */
export default async function SsoTestResultPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const session = await requireUserSession(slug);
  if (session.role !== "owner" && session.role !== "admin") notFound();
  const result = await readSamlTestResult(session.tenantId, session.userId);
  const base = `/t/${encodeURIComponent(session.tenantSlug)}`;

  return (
    <section className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">SSO connection test</h1>
        <p className="mt-1 text-sm text-slate-600">
          What your identity provider sent. No session was created for this sign-in.{" "}
          <Link href={`${base}/admin/sso`} className="font-medium text-indigo-700 hover:underline">
            Back to SSO settings
          </Link>
        </p>
      </div>
      {!result ? (
        <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700" data-testid="sso-test-empty">
          No test result. Start a test from the SSO settings; results are kept for 10 minutes.
        </p>
      ) : (
        <div className="space-y-6" data-testid="sso-test-result">
          <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-[12rem_1fr]">
            <Row label="Result" value="Signature and conditions valid" testId="sso-test-status" />
            <Row label="IdP (issuer)" value={result.issuer} />
            <Row label="NameID" value={result.nameId} testId="sso-test-nameid" />
            <Row label="NameID format" value={result.nameIdFormat ?? "—"} />
            <Row label="Session index" value={result.sessionIndex ?? "—"} />
            <Row label="IdP session ends" value={result.sessionNotOnOrAfter ?? "not limited by the IdP"} />
            <Row label="Email (mapped)" value={result.mapped.email ?? "none found — sign-in would be refused"} testId="sso-test-email" />
            <Row label="Name (mapped)" value={result.mapped.name || "—"} />
            <Row label="Groups (mapped)" value={result.mapped.groups.join(", ") || "—"} testId="sso-test-groups" />
            <Row label="Received" value={result.receivedAt} />
          </dl>
          <div>
            <h2 className="text-lg font-semibold text-slate-900">Attributes received</h2>
            <table className="mt-2 w-full border-collapse text-left text-sm" data-testid="sso-test-attributes">
              <thead>
                <tr className="border-b border-slate-200 text-slate-600">
                  <th className="py-2 pr-4 font-medium">Name</th>
                  <th className="py-2 font-medium">Values</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(result.attributes).map(([name, values]) => (
                  <tr key={name} className="border-b border-slate-100 align-top">
                    <td className="py-2 pr-4 font-mono text-xs break-all text-slate-900">{name}</td>
                    <td className="py-2 break-all text-slate-700">{values.join(", ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

function Row({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <>
      <dt className="font-medium text-slate-600">{label}</dt>
      <dd className="break-all text-slate-900" data-testid={testId}>
        {value}
      </dd>
    </>
  );
}
