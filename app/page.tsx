import type { Metadata } from "next";
import Link from "next/link";
import { CenteredCard } from "@/app/_components/centered-card";
import { DiscoverForm } from "@/app/discover-form";

export const metadata: Metadata = { title: "Sign in · Atrium" };

export default function StartPage() {
  return (
    <CenteredCard
      title="Sign in to Atrium"
      subtitle="Enter your work email and we'll take you to your organisation's sign-in page."
      footer={
        <Link href="/operator/sign-in" className="font-medium text-slate-600 underline-offset-4 hover:text-slate-900 hover:underline">
          Platform operator
        </Link>
      }
    >
      <DiscoverForm />
    </CenteredCard>
  );
}
