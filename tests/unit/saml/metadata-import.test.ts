import { beforeAll, describe, expect, it } from "vitest";
import { generateSpKeyPair } from "@/lib/saml/connection";
import { AppError } from "@/lib/http/errors";
import { certificateInfo, checkIdpUrl, forbiddenAddressReason, parseIdpMetadata, resolveMetadataTarget } from "@/lib/saml/metadata-import";
import { buildSpMetadataXml, pemBody } from "@/lib/saml/sp-metadata";

/** Unit tests of the IdP metadata parser, the address policy of the metadata fetch, and the SP metadata generator. */

let certA: string;
let certB: string;

beforeAll(async () => {
  certA = (await generateSpKeyPair("idp-signing-a")).certificate;
  certB = (await generateSpKeyPair("idp-signing-b")).certificate;
}, 60_000);

const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

function idpEntity(opts: { entityId?: string; certs?: { pem: string; use?: string | null }[]; sso?: { binding: string; location: string }[]; slo?: string | null; wantSigned?: boolean } = {}) {
  const certs = opts.certs ?? [{ pem: certA, use: "signing" }];
  const sso = opts.sso ?? [{ binding: REDIRECT, location: "https://idp.example.com/sso" }];
  return (
    `<md:EntityDescriptor entityID="${opts.entityId ?? "https://idp.example.com/metadata"}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${opts.wantSigned ? ' WantAuthnRequestsSigned="true"' : ""}>` +
    certs
      .map((c) => `<md:KeyDescriptor${c.use ? ` use="${c.use}"` : ""}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(c.pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
      .join("") +
    (opts.slo === null ? "" : `<md:SingleLogoutService Binding="${REDIRECT}" Location="${opts.slo ?? "https://idp.example.com/slo"}"/>`) +
    sso.map((s) => `<md:SingleSignOnService Binding="${s.binding}" Location="${s.location}"/>`).join("") +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}
const NSDECL = 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';
const doc = (entity: string) => `<?xml version="1.0"?>\n${entity.replace("<md:EntityDescriptor ", `<md:EntityDescriptor ${NSDECL} `)}`;
const spEntity = `<md:EntityDescriptor entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="${POST}" Location="https://sp.example.com/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`;
const entities = (...list: string[]) => `<md:EntitiesDescriptor ${NSDECL}>${list.join("")}</md:EntitiesDescriptor>`;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected a refusal, got none");
}

describe("parseIdpMetadata", () => {
  it("reads entityID, the Redirect SSO/SLO endpoints, every signing certificate and WantAuthnRequestsSigned", () => {
    const md = parseIdpMetadata(
      doc(idpEntity({ certs: [{ pem: certA, use: "signing" }, { pem: certB, use: null }, { pem: certA, use: "encryption" }], wantSigned: true })),
    );
    expect(md.entityId).toBe("https://idp.example.com/metadata");
    expect(md.ssoUrl).toBe("https://idp.example.com/sso");
    expect(md.sloUrl).toBe("https://idp.example.com/slo");
    expect(md.wantsSignedRequests).toBe(true);
    expect(md.certificates.map((c) => c.subject)).toEqual(["CN=idp-signing-a", "CN=idp-signing-b"]);
    expect(md.certificates[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(md.certificates[0]!.pem).toContain("-----BEGIN CERTIFICATE-----");
    expect(new Date(md.certificates[0]!.notAfter).getTime()).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it("takes the one IdP out of an EntitiesDescriptor that also lists SPs", () => {
    const md = parseIdpMetadata(entities(spEntity, idpEntity({ entityId: "https://only-idp" }), spEntity));
    expect(md.entityId).toBe("https://only-idp");
    expect(md.sloUrl).toBe("https://idp.example.com/slo");
  });

  it("refuses several IdPs, no IdP, DOCTYPE, malformed XML, a POST-only SSO, no signing cert, a broken cert, http URLs", () => {
    expect(refusal(() => parseIdpMetadata(entities(idpEntity({ entityId: "https://a" }), idpEntity({ entityId: "https://b" })))).message).toMatch(/2 identity providers \(https:\/\/a, https:\/\/b\)/);
    expect(refusal(() => parseIdpMetadata(entities(spEntity))).message).toMatch(/no identity provider/);
    const dtd = refusal(() => parseIdpMetadata(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${doc(idpEntity()).replace('<?xml version="1.0"?>\n', "")}`));
    expect(dtd).toMatchObject({ status: 400, code: "metadata_invalid" });
    expect(dtd.message).toMatch(/DOCTYPE/);
    expect(refusal(() => parseIdpMetadata(doc(idpEntity()).replace("</md:EntityDescriptor>", ""))).message).toMatch(/not well-formed/);
    expect(refusal(() => parseIdpMetadata("<html><body>login</body></html>")).message).toMatch(/not SAML metadata/);
    expect(refusal(() => parseIdpMetadata(doc(idpEntity({ sso: [{ binding: POST, location: "https://idp/sso" }] })))).message).toMatch(/only with the HTTP-POST binding/);
    expect(refusal(() => parseIdpMetadata(doc(idpEntity({ certs: [{ pem: certA, use: "encryption" }] })))).message).toMatch(/no signing certificate/);
    const broken = pemBody(certA).slice(0, 400); // truncated DER
    expect(refusal(() => parseIdpMetadata(doc(idpEntity({ certs: [{ pem: broken, use: "signing" }] }))))).toMatchObject({ code: "certificate_invalid" });
    expect(refusal(() => parseIdpMetadata(doc(idpEntity({ sso: [{ binding: REDIRECT, location: "javascript:alert(1)" }] })))).message).toMatch(/javascript: is refused/);
    expect(refusal(() => parseIdpMetadata(doc(idpEntity({ sso: [{ binding: REDIRECT, location: "http://idp/sso" }] })))).message).toMatch(/must use https/);
    expect(parseIdpMetadata(doc(idpEntity({ sso: [{ binding: REDIRECT, location: "http://idp/sso" }] })), new Date(), { allowHttp: true }).ssoUrl).toBe("http://idp/sso");
    expect(refusal(() => parseIdpMetadata("<a/>".padEnd(1024 * 1024 + 1, " ")))).toMatchObject({ status: 413, code: "metadata_too_large" });
  });

  it("certificateInfo refuses private keys and garbage, and flags certificates expiring within 30 days", () => {
    expect(refusal(() => certificateInfo("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")).message).toMatch(/private key/);
    expect(refusal(() => certificateInfo("hello world")).code).toBe("certificate_invalid");
    const info = certificateInfo(certA);
    expect(info.expiresSoon).toBe(false);
    const late = new Date(new Date(info.notAfter).getTime() - 10 * 86_400_000);
    expect(certificateInfo(certA, late)).toMatchObject({ expiresSoon: true, expired: false });
    expect(certificateInfo(certA, new Date(new Date(info.notAfter).getTime() + 1000))).toMatchObject({ expired: true, expiresSoon: false });
  });

  it("checkIdpUrl accepts https only (http when allowed), never javascript:/data:/file: or credentials", () => {
    expect(checkIdpUrl("https://idp.example.com/sso?x=1", "SSO URL", { allowHttp: false })).toBe("https://idp.example.com/sso?x=1");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "ftp://idp/x", "//idp/x", "idp/sso", "https://user:pw@idp/sso"]) {
      expect(() => checkIdpUrl(bad, "SSO URL", { allowHttp: true }), bad).toThrow(AppError);
    }
    expect(() => checkIdpUrl("http://idp/sso", "SSO URL", { allowHttp: false })).toThrow(/https/);
  });
});

describe("forbiddenAddressReason (metadata fetch SSRF guard)", () => {
  it.each([
    ["127.0.0.1", /loopback/],
    ["127.255.1.2", /loopback/],
    ["10.1.2.3", /private/],
    ["172.16.0.1", /private/],
    ["172.31.255.255", /private/],
    ["192.168.1.1", /private/],
    ["169.254.169.254", /link-local/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["0.0.0.0", /unspecified/],
    ["224.0.0.1", /multicast/],
    ["255.255.255.255", /reserved/],
    ["::1", /loopback/],
    ["::", /unspecified/],
    ["fe80::1", /link-local/],
    ["fd00::1", /unique-local/],
    ["fc12:3456::1", /unique-local/],
    ["ff02::1", /multicast/],
    ["::ffff:127.0.0.1", /IPv4-mapped loopback/],
    ["::ffff:7f00:1", /IPv4-mapped loopback/],
    ["::ffff:a9fe:a9fe", /IPv4-mapped link-local/],
    ["::ffff:10.0.0.1", /IPv4-mapped private/],
    ["64:ff9b::a9fe:a9fe", /NAT64/],
    ["[::1]", /loopback/],
    ["not-an-ip", /not an IP/],
  ])("refuses %s", (address, why) => {
    expect(forbiddenAddressReason(address)).toMatch(why);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::6810:85e5", "2a00:1450:4001:82f::200e", "::ffff:8.8.8.8"])("allows public %s", (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });
});

describe("resolveMetadataTarget", () => {
  const resolveTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  it("refuses http and other schemes before resolving", async () => {
    await expect(resolveMetadataTarget("http://idp.example.com/md", { allowPrivate: true })).rejects.toMatchObject({ code: "metadata_url_refused", message: expect.stringMatching(/https/) });
    await expect(resolveMetadataTarget("file:///etc/passwd", { allowPrivate: true })).rejects.toMatchObject({ code: "metadata_url_refused" });
    await expect(resolveMetadataTarget("not a url", { allowPrivate: true })).rejects.toMatchObject({ code: "metadata_url_refused" });
  });

  it("refuses IP literals and names that resolve to internal addresses (every address checked), unless allowed", async () => {
    for (const url of ["https://127.0.0.1/md", "https://[::1]/md", "https://[::ffff:127.0.0.1]/md", "https://169.254.169.254/latest/meta-data", "https://10.0.0.5/md", "https://2130706433/md"]) {
      await expect(resolveMetadataTarget(url, { allowPrivate: false }), url).rejects.toMatchObject({ status: 400, code: "metadata_address_refused" });
    }
    await expect(resolveMetadataTarget("https://localhost/md", { allowPrivate: false })).rejects.toMatchObject({ code: "metadata_address_refused" });
    await expect(resolveMetadataTarget("https://idp.example.com/md", { allowPrivate: false, resolve: resolveTo("93.184.216.34", "10.0.0.1") })).rejects.toMatchObject({
      message: expect.stringMatching(/resolves to 10\.0\.0\.1, a private/),
    });
    await expect(resolveMetadataTarget("https://idp.example.com/md", { allowPrivate: false, resolve: resolveTo("93.184.216.34") })).resolves.toMatchObject({ address: "93.184.216.34", family: 4 });
    await expect(resolveMetadataTarget("https://127.0.0.1:8449/md", { allowPrivate: true })).resolves.toMatchObject({ address: "127.0.0.1" });
  });
});

describe("buildSpMetadataXml", () => {
  const sp = { entityId: "https://atrium.example/api/saml/acme/metadata", acsUrl: "https://atrium.example/api/saml/acme/acs", sloUrl: "https://atrium.example/api/saml/acme/slo" };

  it("lists entity ID, ACS (POST), SLO (Redirect), emailAddress NameID and the certificate for signing and encryption", () => {
    const xml = buildSpMetadataXml({ sp: { ...sp, certificate: certA, previousCertificate: null }, idp: { wantsSignedRequests: false } });
    const md = parseAsXml(xml);
    expect(md).toContain(`entityID="${sp.entityId}"`);
    expect(xml).toMatch(/AuthnRequestsSigned="false" WantAssertionsSigned="true"/);
    expect(xml).toContain(`<md:AssertionConsumerService Binding="${POST}" Location="${sp.acsUrl}"`);
    expect(xml).toContain(`<md:SingleLogoutService Binding="${REDIRECT}" Location="${sp.sloUrl}"/>`);
    expect(xml).toContain("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    expect(xml.match(/<md:KeyDescriptor use="signing">/g)).toHaveLength(1);
    expect(xml.match(/<md:KeyDescriptor use="encryption">/g)).toHaveLength(1);
    expect(xml.split(pemBody(certA)).length - 1).toBe(2);
    expect(xml).not.toMatch(/PRIVATE/);
  });

  it("during a rotation carries both certificates, and follows WantAuthnRequestsSigned", () => {
    const xml = buildSpMetadataXml({ sp: { ...sp, certificate: certB, previousCertificate: certA }, idp: { wantsSignedRequests: true } });
    expect(xml).toMatch(/AuthnRequestsSigned="true"/);
    expect(xml.split(pemBody(certA)).length - 1).toBe(2);
    expect(xml.split(pemBody(certB)).length - 1).toBe(2);
    expect(xml.indexOf(pemBody(certB))).toBeLessThan(xml.indexOf(pemBody(certA)));
  });
});

/** The SP metadata must itself pass the strict XML guard (well-formed, one root, no DTD). */
function parseAsXml(xml: string): string {
  const md = parseIdpMetadataLike(xml);
  return md;
}
function parseIdpMetadataLike(xml: string): string {
  // parseIdpMetadata refuses an SP-only document with a clear message, which proves it parsed as metadata.
  expect(() => parseIdpMetadata(xml)).toThrow(/no identity provider/);
  return xml;
}
