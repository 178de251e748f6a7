import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { AuditView } from "./audit-view";

export const metadata: Metadata = { title: "Audit log · Atrium" };

export default async function AuditPage({ params }: { params: Promise<{ slug: string }> }) {
  await requireAdminPage(params, "audit");
  return <AuditView />;
}
