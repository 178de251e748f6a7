import { redirect } from "next/navigation";

/** /t/<slug> is the organisation's home: the signed-in layout sends strangers on to sign in. */
export default async function TenantRootPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  redirect(`/t/${encodeURIComponent(slug)}/app`);
}
