import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { PoliciesView } from "./policies-view";

export const metadata: Metadata = { title: "Policies · Atrium" };

export default async function PoliciesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "policies");
  return <PoliciesView canWrite={canWrite} />;
}
