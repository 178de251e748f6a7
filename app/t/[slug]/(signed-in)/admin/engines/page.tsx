import type { Metadata } from "next";
import { requireAdminPage } from "../require-permission";
import { EnginesView } from "./engines-view";

export const metadata: Metadata = { title: "Engines · Atrium" };

export default async function EnginesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { canWrite } = await requireAdminPage(params, "engines");
  return <EnginesView canWrite={canWrite} />;
}
