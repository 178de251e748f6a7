import type { Metadata } from "next";
import { requireUserSession } from "@/lib/auth/current-session";
import { HomeView } from "./home-view";

export const metadata: Metadata = { title: "Home · Atrium" };

export default async function HomePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const s = await requireUserSession(slug);
  return (
    <HomeView
      slug={s.tenantSlug}
      initial={{ name: s.name, email: s.email, role: s.role, expiresAt: s.expiresAt.toISOString(), idleExpiresAt: s.idleExpiresAt.toISOString() }}
    />
  );
}
