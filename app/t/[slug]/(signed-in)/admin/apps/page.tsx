import type { Metadata } from "next";
import { can } from "@/lib/auth/permissions";
import { requireAdminPage } from "../require-permission";
import { AppsAdminView } from "./apps-admin-view";

export const metadata: Metadata = { title: "Apps · Atrium" };

export default async function AppsAdminPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite, slug, session } = await requireAdminPage(params, "apps");
  return <AppsAdminView slug={slug} canWrite={canWrite} canListGroups={can(session.role, "groups:read")} />;
}
