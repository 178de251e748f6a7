import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { ApiKeysView } from "./api-keys-view";

export const metadata: Metadata = { title: "API keys · Atrium" };

export default async function ApiKeysPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "apiKeys");
  return <ApiKeysView canWrite={canWrite} />;
}
