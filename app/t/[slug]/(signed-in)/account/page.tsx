import type { Metadata } from "next";
import { requireUserSession } from "@/lib/auth/current-session";
import { AccountView } from "./account-view";

export const metadata: Metadata = { title: "Account · Atrium" };

export default async function AccountPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug } = await params;
  const s = await requireUserSession(slug);
  const expired = (await searchParams).expired;
  return <AccountView slug={s.tenantSlug} email={s.email} expired={expired === "1" || (Array.isArray(expired) && expired[0] === "1")} />;
}
