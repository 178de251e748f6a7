import type { Metadata } from "next";
import { SetPasswordForm } from "@/app/set-password/[token]/set-password-form";

export const metadata: Metadata = { title: "Set your password · Atrium" };

export default async function SetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <SetPasswordForm token={token} />;
}
