import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { GroupsView } from "./groups-view";

export const metadata: Metadata = { title: "Groups · Atrium" };

export default async function GroupsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "groups");
  return <GroupsView canWrite={canWrite} />;
}
