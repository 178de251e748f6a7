import type { Metadata } from "next";
import { requireOperatorSession } from "@/lib/auth/current-session";
import { TenantsView } from "./tenants-view";

export const metadata: Metadata = { title: "Tenants · Atrium" };

export default async function OperatorHomePage() {
  await requireOperatorSession();
  return <TenantsView />;
}
