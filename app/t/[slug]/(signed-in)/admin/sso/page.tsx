import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { SsoView } from "./sso-view";

export const metadata: Metadata = { title: "Single sign-on · Atrium" };

export default async function SsoPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "sso");
  return <SsoView canWrite={canWrite} />;
}
