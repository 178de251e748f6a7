import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { CenteredCard } from "@/app/_components/centered-card";
import { PasswordSignInForm } from "@/app/_components/password-sign-in-form";
import { currentSession } from "@/lib/auth/current-session";

export const metadata: Metadata = { title: "Operator sign-in · Atrium" };

export default async function OperatorSignInPage() {
  const session = await currentSession();
  if (session?.kind === "operator") redirect("/operator");
  return (
    <CenteredCard title="Operator sign-in" subtitle="For the people who run this Atrium installation.">
      <PasswordSignInForm provider="operator-password" destination="/operator" />
    </CenteredCard>
  );
}
