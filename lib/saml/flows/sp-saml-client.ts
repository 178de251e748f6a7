import { randomBytes } from "node:crypto";
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import type { SsoConnection } from "@/lib/saml/connection";

/**
 * node-saml as the builder (and signer) of the messages Atrium sends over the HTTP-Redirect binding:
 * AuthnRequest, LogoutRequest, LogoutResponse. Validation of what comes back is ours (validate-response.ts,
 * logout-message.ts); node-saml's own checks and cache are not used here.
 */
export function newSamlMessageId(): string {
  // Must start with a letter or underscore (xs:ID); 160 random bits.
  return `_${randomBytes(20).toString("hex")}`;
}

export function spSamlClient(conn: SsoConnection, messageId: string, opts: { sign: boolean }): SAML {
  return new SAML({
    entryPoint: conn.idp.ssoUrl,
    logoutUrl: conn.idp.sloUrl ?? conn.idp.ssoUrl,
    issuer: conn.sp.entityId,
    callbackUrl: conn.sp.acsUrl,
    idpCert: conn.idp.certificates,
    idpIssuer: conn.idp.entityId,
    identifierFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    disableRequestedAuthnContext: true,
    generateUniqueId: () => messageId,
    validateInResponseTo: ValidateInResponseTo.never,
    ...(opts.sign ? { privateKey: conn.sp.privateKey, signatureAlgorithm: "sha256" as const } : {}),
  });
}
