/**
 * SSO connections for tests, straight into the test database (as the admin API would store them): a fresh SP key
 * pair sealed at rest, the local IdP's entity ID, URLs and certificate, and group mappings.
 */
import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/client";
import { generateSpKeyPair, sealSpKey, spEndpoints, type SpEndpoints } from "@/lib/saml/connection";
import { BASE_URL } from "./atrium-client";
import type { TestTenant } from "./fixtures";
import type { LocalIdp } from "./saml-idp";

export interface SsoSettings {
  enabled?: boolean;
  allowIdpInitiated?: boolean;
  requireSso?: boolean;
  jitEnabled?: boolean;
  jitDefaultRole?: Role;
  wantsSignedRequests?: boolean;
  idpSloUrl?: string | null;
}

export function spOf(t: Pick<TestTenant, "slug">): SpEndpoints {
  return spEndpoints(t.slug, BASE_URL);
}

export async function makeSsoConnection(t: TestTenant, idp: LocalIdp, s: SsoSettings = {}): Promise<{ sp: SpEndpoints; spKey: string; spCert: string }> {
  const keys = await generateSpKeyPair(`atrium-sp-${t.slug}`);
  await db().ssoConnection.create({
    data: {
      tenantId: t.id,
      enabled: s.enabled ?? true,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpSloUrl: s.idpSloUrl === undefined ? idp.sloUrl : s.idpSloUrl,
      idpCertificates: [idp.certPem],
      idpWantsSignedRequests: s.wantsSignedRequests ?? true,
      spKeyEnc: sealSpKey(keys.privateKey),
      spCertificate: keys.certificate,
      allowIdpInitiated: s.allowIdpInitiated ?? false,
      requireSso: s.requireSso ?? false,
      jitEnabled: s.jitEnabled ?? true,
      jitDefaultRole: s.jitDefaultRole ?? "member",
    },
  });
  return { sp: spOf(t), spKey: keys.privateKey, spCert: keys.certificate };
}

export async function updateSso(t: TestTenant, s: SsoSettings): Promise<void> {
  await db().ssoConnection.update({
    where: { tenantId: t.id },
    data: {
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      ...(s.allowIdpInitiated !== undefined ? { allowIdpInitiated: s.allowIdpInitiated } : {}),
      ...(s.requireSso !== undefined ? { requireSso: s.requireSso } : {}),
      ...(s.jitEnabled !== undefined ? { jitEnabled: s.jitEnabled } : {}),
    },
  });
}

/** Maps an IdP group value to an Atrium group (created here) and/or a role. */
export async function mapGroup(t: TestTenant, idpValue: string, opts: { groupName?: string; role?: Role } = {}): Promise<string | null> {
  let groupId: string | null = null;
  if (opts.groupName) groupId = (await db().group.create({ data: { tenantId: t.id, name: opts.groupName } })).id;
  await db().ssoGroupMapping.create({ data: { tenantId: t.id, idpValue, groupId, role: opts.role ?? null } });
  return groupId;
}

export async function groupNamesOf(userId: string): Promise<string[]> {
  const rows = await db().groupMember.findMany({ where: { userId }, include: { group: { select: { name: true } } } });
  return rows.map((r) => r.group.name).sort();
}
