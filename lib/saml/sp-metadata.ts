import type { SsoConnection } from "./connection";

/**
 * Atrium's SAML SP metadata for one tenant (served at /api/saml/<slug>/metadata and downloadable from the admin page).
 *  - entityID, AssertionConsumerService (HTTP-POST), SingleLogoutService (HTTP-Redirect), NameIDFormat emailAddress;
 *  - KeyDescriptor use="signing" and use="encryption" with the current SP certificate, and the previous certificate
 *    too while a rotation overlaps (the IdP may still encrypt to it / verify with it until it reloads our metadata);
 *  - AuthnRequestsSigned follows the IdP's WantAuthnRequestsSigned, WantAssertionsSigned="true" always.
 * Only certificates go in; private keys never do.
 */
export function buildSpMetadataXml(conn: {
  sp: Pick<SsoConnection["sp"], "entityId" | "acsUrl" | "sloUrl" | "certificate" | "previousCertificate">;
  idp: Pick<SsoConnection["idp"], "wantsSignedRequests">;
}): string {
  const { sp } = conn;
  const certs = [sp.certificate, sp.previousCertificate].filter((c): c is string => !!c && c.trim() !== "");
  const keyDescriptors = certs
    .flatMap((pem) =>
      (["signing", "encryption"] as const).map(
        (use) =>
          `    <md:KeyDescriptor use="${use}">\n` +
          `      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n` +
          `    </md:KeyDescriptor>\n`,
      ),
    )
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${attr(sp.entityId)}">\n` +
    `  <md:SPSSODescriptor AuthnRequestsSigned="${conn.idp.wantsSignedRequests ? "true" : "false"}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    keyDescriptors +
    `    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${attr(sp.sloUrl)}"/>\n` +
    `    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n` +
    `    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${attr(sp.acsUrl)}" index="0" isDefault="true"/>\n` +
    `  </md:SPSSODescriptor>\n` +
    `</md:EntityDescriptor>\n`
  );
}

/** The base64 body of a PEM certificate (no armour, no whitespace). */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----BEGIN CERTIFICATE-----/g, "")
    .replace(/-----END CERTIFICATE-----/g, "")
    .replace(/[^A-Za-z0-9+/=]/g, "");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
