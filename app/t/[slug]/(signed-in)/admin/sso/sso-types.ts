import type { CertificateInfo } from "@/lib/saml/metadata-import";

/** GET /api/sso (lib/saml/manage-connection.ts getSso), as the admin page reads it. */
export type { CertificateInfo };

export type GrantableRole = "member" | "editor" | "admin";
export type AttributeField = "email" | "firstName" | "lastName" | "displayName" | "groups";

export interface SsoConnectionView {
  enabled: boolean;
  idp: { entityId: string; ssoUrl: string; sloUrl: string | null; wantsSignedRequests: boolean; certificates: CertificateInfo[] };
  metadataUrl: string | null;
  metadataFetchedAt: string | null;
  policy: { allowIdpInitiated: boolean; requireSso: boolean; wantAssertionsSigned: boolean; wantResponseSigned: boolean; allowSha1: boolean; clockSkewSeconds: number };
  attributes: Record<AttributeField, string>;
  jit: { enabled: boolean; defaultRole: GrantableRole };
  updatedAt: string;
}

export interface GroupMapping {
  id: string;
  idpValue: string;
  groupId: string | null;
  groupName: string | null;
  role: GrantableRole | null;
}

export interface BreakGlassCandidate {
  id: string;
  email: string;
  name: string;
  role: "owner" | "admin";
  status: string;
  hasPassword: boolean;
  breakGlass: boolean;
  usable: boolean;
}

export interface SsoState {
  configured: boolean;
  connection: SsoConnectionView | null;
  sp: {
    entityId: string;
    acsUrl: string;
    sloUrl: string;
    metadataUrl: string;
    loginUrl: string;
    testUrl: string;
    certificate: CertificateInfo | null;
    previousCertificate: CertificateInfo | null;
  };
  attributeDefaults: Record<AttributeField, readonly string[]>;
  groupMappings: GroupMapping[];
  breakGlass: { candidates: BreakGlassCandidate[] };
  allowPrivate: boolean;
}

/** Applies a change through the API and shows the new state; returns false (and shows the error) when refused. */
export type Mutate = (method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown, success?: string) => Promise<boolean>;
