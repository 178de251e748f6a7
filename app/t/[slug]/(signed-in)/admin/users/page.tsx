import type { Metadata } from "next";
import { can } from "@/lib/auth/permissions";
import { requireAdminPage } from "../require-permission";
import { UsersView } from "./users-view";

export const metadata: Metadata = { title: "Users · Atrium" };

export default async function UsersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { session, canWrite } = await requireAdminPage(params, "users");
  return <UsersView currentUserId={session.userId} canWrite={canWrite} canReadGroups={can(session.role, "groups:read")} />;
}
