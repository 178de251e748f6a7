import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { SessionsView } from "./sessions-view";

export const metadata: Metadata = { title: "Sessions · Atrium" };

export default async function SessionsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "sessions");
  return <SessionsView canWrite={canWrite} />;
}
