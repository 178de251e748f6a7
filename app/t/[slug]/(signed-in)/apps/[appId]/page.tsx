import type { Metadata } from "next";
import { requireUserSession } from "@/lib/auth/current-session";
import { WorkspaceView } from "./workspace-view";

export const metadata: Metadata = { title: "Workspace · Atrium" };

/** /t/<slug>/apps/<appId>: the user's private engine of one app. Access is checked by the API and the proxy. */
export default async function WorkspacePage({ params }: { params: Promise<{ slug: string; appId: string }> }) {
  const { slug, appId } = await params;
  const session = await requireUserSession(slug);
  return <WorkspaceView key={appId} slug={session.tenantSlug} appId={appId} />;
}
