import type { Metadata } from "next";
import Link from "next/link";
import { buttonClasses } from "@/app/_components/button";
import { CenteredCard } from "@/app/_components/centered-card";

export const metadata: Metadata = { title: "Page not found · Atrium" };

export default function NotFound() {
  return (
    <CenteredCard title="Page not found" subtitle="There is nothing at this address, or you are not allowed to see it.">
      <Link href="/" className={buttonClasses("primary")}>
        Go to the start page
      </Link>
    </CenteredCard>
  );
}
