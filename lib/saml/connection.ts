import "reflect-metadata"; // @peculiar/x509's dependency injection needs it before the import below.
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import type { SsoConnection as SsoRow } from "@/lib/generated/prisma/client";
import type { Role } from "@/lib/generated/prisma/enums";
import { deriveKey, open, seal } from "@/lib/security/secret-box";

/**
 * A tenant's SAML connection as the flows need it: the database row with the SP private keys decrypted, plus the
 * SP URLs derived from PUBLIC_ORIGIN and the tenant slug. The single loader of sso_connections for the flows;
 * saving and importing live next to it (lib/saml/*), the admin API in app/api/sso.
 */
export interface SsoConnection {
  tenantId: string;
  tenantSlug: string;
  enabled: boolean;
  idp: {
    entityId: string;
    ssoUrl: string;
    sloUrl: string | null;
    /** PEM; more than one during a rollover. */
    certificates: string[];
    wantsSignedRequests: boolean;
  };
  sp: SpEndpoints & {
    /** PEM private key and certificate: signs requests, decrypts assertions. */
    privateKey: string;
    certificate: string;
    /** The pair before the last rotation, still accepted for decryption. */
    previousPrivateKey: string | null;
    previousCertificate: string | null;
  };
  policy: {
    allowIdpInitiated: boolean;
    requireSso: boolean;
    wantAssertionsSigned: boolean;
    wantResponseSigned: boolean;
    allowSha1: boolean;
    clockSkewSeconds: number;
  };
  attributes: { email: string; firstName: string; lastName: string; displayName: string; groups: string };
  jit: { enabled: boolean; defaultRole: Role };
}

export interface SpEndpoints {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  metadataUrl: string;
  /** Starts an SP-initiated sign-in (GET). */
  loginUrl: string;
}

/** Atrium's SP URLs for a tenant. The entity ID is the metadata URL, as most IdPs expect. */
export function spEndpoints(tenantSlug: string, origin: string = config().PUBLIC_ORIGIN): SpEndpoints {
  const base = `${origin.replace(/\/$/, "")}/api/saml/${encodeURIComponent(tenantSlug)}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, sloUrl: `${base}/slo`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

// SP private keys are sealed with their own HKDF-derived key, distinct from engine secrets'.
let ssoKey: Buffer | undefined;
const keyForSso = () => (ssoKey ??= deriveKey(config().AUTH_SECRET, "atrium sso keys"));
export const sealSpKey = (pem: string) => seal(pem, keyForSso());
export const openSpKey = (box: string) => open(box, keyForSso());

/** Loads a tenant's connection (enabled or not); null when the tenant has none. */
export async function loadSsoConnection(tenantId: string): Promise<SsoConnection | null> {
  const row = await db().ssoConnection.findUnique({ where: { tenantId }, include: { tenant: { select: { slug: true } } } });
  if (!row) return null;
  return {
    tenantId: row.tenantId,
    tenantSlug: row.tenant.slug,
    enabled: row.enabled,
    idp: {
      entityId: row.idpEntityId,
      ssoUrl: row.idpSsoUrl,
      sloUrl: row.idpSloUrl,
      certificates: row.idpCertificates,
      wantsSignedRequests: row.idpWantsSignedRequests,
    },
    sp: {
      ...spEndpoints(row.tenant.slug),
      privateKey: openSpKey(row.spKeyEnc),
      certificate: row.spCertificate,
      previousPrivateKey: row.spPreviousKeyEnc ? openSpKey(row.spPreviousKeyEnc) : null,
      previousCertificate: row.spPreviousCertificate,
    },
    policy: ssoPolicyOf(row),
    attributes: ssoAttributesOf(row),
    jit: { enabled: row.jitEnabled, defaultRole: row.jitDefaultRole },
  };
}

/** The sign-in policy columns of a connection row, as the flows and the admin API show them. */
export function ssoPolicyOf(row: SsoRow): SsoConnection["policy"] {
  return {
    allowIdpInitiated: row.allowIdpInitiated,
    requireSso: row.requireSso,
    wantAssertionsSigned: row.wantAssertionsSigned,
    wantResponseSigned: row.wantResponseSigned,
    allowSha1: row.allowSha1,
    clockSkewSeconds: row.clockSkewSeconds,
  };
}

/** The configured attribute names of a connection row (empty = the defaults of attribute-defaults.ts). */
export function ssoAttributesOf(row: SsoRow): SsoConnection["attributes"] {
  return { email: row.attrEmail, firstName: row.attrFirstName, lastName: row.attrLastName, displayName: row.attrDisplayName, groups: row.attrGroups };
}

/** Loads by tenant slug (the SAML endpoints are addressed by slug). */
export async function loadSsoConnectionBySlug(slug: string): Promise<SsoConnection | null> {
  const tenant = await db().tenant.findUnique({ where: { slug }, select: { id: true } });
  return tenant ? loadSsoConnection(tenant.id) : null;
}

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 3072 };

/** A fresh SP key pair: RSA-3072, self-signed SHA-256 certificate valid for 10 years (pinned by the IdP, not chained). */
export async function generateSpKeyPair(commonName: string): Promise<{ privateKey: string; certificate: string }> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, " ")}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * 86_400_000),
    keys,
    signingAlgorithm: RSA,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKey = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
  return { privateKey, certificate: cert.toString("pem") + "\n" };
}
