/**
 * Interop with a real IdP: Debian's SimpleSAMLphp, installed and configured by scripts/saml-idp.sh, driven over
 * HTTP like a browser (SP-initiated AuthnRequest built by node-saml → IdP login form → alice's credentials →
 * auto-submit form with the SAMLResponse). That fresh, genuinely signed response is the positive control; every
 * hostile variant below is generated from it and must be refused for its intended reason (asserted exactly).
 *
 * Needs no database, no Redis and no running Atrium. Needs root (or the packages already installed) and the Debian
 * archive on the first run. Port: SAML_IDP_PORT (default 8089).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { deflateRawSync } from "node:zlib";
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRedirectBindingMessage } from "@/lib/saml/limits";
import type { SamlReason } from "@/lib/saml/reasons";
import { createMemorySamlCaches } from "@/lib/saml/replay-cache";
import { validateSamlResponse, type SamlValidationSettings } from "@/lib/saml/validate-response";
import { SamlBrowser, formField } from "../../support/saml-browser";
import {
  NS_SAML,
  NS_SAMLP,
  NS_DS,
  SHA256,
  SHA1,
  assertionOf,
  edit,
  els,
  only,
  parse,
  resign,
  responseOf,
  setText,
  stripSignature,
  toB64,
  toXml,
  xswCases,
} from "../../support/saml-forge";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../../..");
const PORT = process.env.SAML_IDP_PORT ?? "8089";
const IDP_DIR = process.env.SAML_IDP_DIR ?? path.join(ROOT, ".data/saml-idp");
const SP = {
  entityId: "http://127.0.0.1:3219/saml/interop-sp",
  acsUrl: "http://127.0.0.1:3219/api/saml/acs",
  sloUrl: "http://127.0.0.1:3219/api/saml/slo",
};
const SP_ENC = { ...SP, entityId: "http://127.0.0.1:3219/saml/interop-sp-encrypted" };

interface Idp {
  entityId: string;
  cert: string;
  ssoUrl: string;
}
let idp: Idp;
let idpKey: string;
let idpCertPem: string;
let attacker: { key: string; cert: string };
let spEnc: { key: string; cert: string };

// ----------------------------------------------------------------------------------------------------------------
// helpers: certificates, the SP side (XML editing and signing: tests/support/saml-forge.ts)

async function selfSigned(dir: string, name: string): Promise<{ key: string; cert: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "2", "-nodes", "-subj", `/CN=${name}`, "-keyout", keyFile, "-out", certFile]);
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
}

function spSaml(sp: typeof SP, requestId: string): SAML {
  return new SAML({
    entryPoint: idp.ssoUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: idp.cert,
    generateUniqueId: () => requestId,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

let counter = 0;
/** Logs in at the real IdP (SP-initiated) and returns the SAMLResponse (base64), RelayState and the request id. */
async function loginAtIdp(user: string, password: string, sp = SP, relayState = "/apps/welcome"): Promise<{ b64: string; relayState: string | null; requestId: string; authorizeUrl: string }> {
  const requestId = `_atrium_${Date.now().toString(36)}_${++counter}`;
  const authorizeUrl = await spSaml(sp, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
  const browser = new SamlBrowser();
  const login = await browser.go(authorizeUrl);
  expect(login.status, login.body.slice(0, 500)).toBe(200);
  const authState = formField(login.body, "AuthState");
  expect(authState, "the IdP login form has an AuthState field").toBeTruthy();
  const posted = await browser.go(login.url, { form: new URLSearchParams({ username: user, password, AuthState: authState! }) });
  const b64 = formField(posted.body, "SAMLResponse");
  expect(b64, `no SAMLResponse in the IdP's answer: ${posted.body.slice(0, 500)}`).toBeTruthy();
  return { b64: b64!, relayState: formField(posted.body, "RelayState"), requestId, authorizeUrl };
}

// ----------------------------------------------------------------------------------------------------------------

function settings(requestId: string | null, overrides: Partial<SamlValidationSettings> = {}): SamlValidationSettings {
  return {
    idpCerts: [idp.cert],
    idpEntityId: idp.entityId,
    spEntityId: SP.entityId,
    acsUrl: SP.acsUrl,
    expectedRequestId: requestId,
    allowIdpInitiated: false,
    clockSkewSeconds: 60,
    ...overrides,
  };
}

async function check(b64: string, requestId: string | null, overrides: Partial<SamlValidationSettings> = {}, relayState?: string) {
  return validateSamlResponse({ samlResponseB64: b64, relayState }, settings(requestId, overrides), createMemorySamlCaches(requestId ? [requestId] : []));
}

async function expectReason(xmlOrB64: { xml?: string; b64?: string }, requestId: string | null, reason: SamlReason, overrides: Partial<SamlValidationSettings> = {}) {
  const b64 = xmlOrB64.b64 ?? toB64(xmlOrB64.xml!);
  const r = await check(b64, requestId, overrides);
  expect(r.ok ? "accepted" : `${r.reason}: ${r.detail}`).toMatch(new RegExp(`^${reason}(:|$)`));
}

describe("SAML interop with SimpleSAMLphp (scripts/saml-idp.sh)", () => {
  let control: { b64: string; xml: string; requestId: string; relayState: string | null; authorizeUrl: string };

  afterAll(async () => {
    // Nothing the suite started may outlive it.
    await run("bash", [path.join(ROOT, "scripts/saml-idp.sh"), "--stop"], { env: { ...process.env, SAML_IDP_PORT: PORT, SAML_IDP_DIR: IDP_DIR }, timeout: 60_000 });
  }, 90_000);

  beforeAll(async () => {
    const work = mkdtempSync(path.join(tmpdir(), "atrium-saml-"));
    attacker = await selfSigned(work, "attacker");
    spEnc = await selfSigned(work, "atrium-sp-encryption");
    writeFileSync(path.join(work, "sp-enc.crt"), spEnc.cert);
    const env = { ...process.env, SAML_IDP_PORT: PORT, SAML_IDP_DIR: IDP_DIR };
    const script = path.join(ROOT, "scripts/saml-idp.sh");
    const opts = { env, timeout: 9 * 60_000, maxBuffer: 10 * 1024 * 1024 };
    await run("bash", [script, "--sp-entity", SP_ENC.entityId, "--acs", SP_ENC.acsUrl, "--slo", SP_ENC.sloUrl, "--sp-cert", path.join(work, "sp-enc.crt")], opts);
    const { stdout } = await run("bash", [script, "--sp-entity", SP.entityId, "--acs", SP.acsUrl, "--slo", SP.sloUrl], opts);
    const metadataUrl = stdout.trim().split("\n").pop()!;
    expect(metadataUrl).toBe(`http://127.0.0.1:${PORT}/simplesaml/saml2/idp/metadata.php`);
    const md = parse(await (await fetch(metadataUrl)).text());
    const sso = els(md, "urn:oasis:names:tc:SAML:2.0:metadata", "SingleSignOnService").find((e) => e.getAttribute("Binding")!.endsWith("HTTP-Redirect"))!;
    idp = {
      entityId: (md.documentElement as unknown as Element).getAttribute("entityID")!,
      cert: only(md, NS_DS, "X509Certificate").textContent!.replace(/\s+/g, ""),
      ssoUrl: sso.getAttribute("Location")!,
    };
    idpKey = readFileSync(path.join(IDP_DIR, "cert/idp.key"), "utf8");
    idpCertPem = readFileSync(path.join(IDP_DIR, "cert/idp.crt"), "utf8");
    const login = await loginAtIdp("alice", "alicepass");
    control = { ...login, xml: toXml(login.b64) };
  }, 10 * 60_000);

  // ---- positive controls ------------------------------------------------------------------------------------

  it("accepts alice's fresh response from the real IdP (positive control) and reads her profile", async () => {
    expect(control.relayState).toBe("/apps/welcome");
    const r = await check(control.b64, control.requestId, {}, control.relayState!);
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, relayState: "/apps/welcome" });
    if (!r.ok) return;
    expect(r.profile).toMatchObject({
      nameId: "alice@idp.test",
      nameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
      issuer: idp.entityId,
    });
    expect(r.profile.sessionIndex).toBeTruthy();
    expect(r.profile.attributes.groups).toEqual(["analysts", "admins"]);
    expect(r.profile.attributes.email).toEqual(["alice@idp.test"]);
    expect(r.profile.assertionId).toBe(assertionOf(parse(control.xml)).getAttribute("ID"));
    // SimpleSAMLphp signs both the Response and the Assertion with RSA-SHA256
    expect(control.xml).toContain(SHA256);
    expect(await check(control.b64, control.requestId, { wantResponseSigned: true })).toMatchObject({ ok: true });
  });

  it("accepts bob with his single group", async () => {
    const bob = await loginAtIdp("bob", "bobpass");
    const r = await check(bob.b64, bob.requestId);
    expect(r).toMatchObject({ ok: true, profile: { nameId: "bob@idp.test", attributes: { groups: ["analysts"] } } });
  });

  it("decrypts an encrypted assertion for an SP registered with an encryption certificate", async () => {
    const enc = await loginAtIdp("alice", "alicepass", SP_ENC);
    expect(toXml(enc.b64)).toContain("EncryptedAssertion");
    const s = { spEntityId: SP_ENC.entityId, acsUrl: SP_ENC.acsUrl };
    const r = await check(enc.b64, enc.requestId, { ...s, decryptionKey: spEnc.key });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, profile: { nameId: "alice@idp.test", attributes: { groups: ["analysts", "admins"] } } });
    expect(await check(enc.b64, enc.requestId, s)).toMatchObject({ ok: false, reason: "decryption_failed" });
    expect(await check(enc.b64, enc.requestId, { ...s, decryptionKey: attacker.key })).toMatchObject({ ok: false, reason: "decryption_failed" });
  });

  it("the generator's own re-signing with the IdP key yields an accepted response (control for the re-signed cases)", async () => {
    await expectReason({ xml: resign(control.xml, idpKey, idpCertPem) }, control.requestId, "accepted" as SamlReason);
    const noRespSig = edit(control.xml, (d) => stripSignature(responseOf(d)));
    await expectReason({ xml: noRespSig }, control.requestId, "accepted" as SamlReason);
  });

  // ---- XML signature wrapping (XSW1–XSW8) ---------------------------------------------------------------------

  const xsw = () => xswCases(control.xml);
  for (let n = 0; n < 8; n++) {
    it(`XSW${n + 1} (tests/support/saml-forge.ts) → its intended reason`, async () => {
      const { name, xml, reason } = xsw()[n]!;
      await expectReason({ xml }, control.requestId, reason);
      if (name.startsWith("XSW1") || name.startsWith("XSW2")) return; // Response-level wrapping needs the Response signature
      // assertion-level wrapping with the Response signature removed (only the assertion signature protects it)
      await expectReason({ xml: edit(xml, (d) => stripSignature(responseOf(d))) }, control.requestId, reason);
    });
  }

  it("XSW with a single assertion: the signed Assertion's Reference points elsewhere → not_covered_by_signature", async () => {
    const xml = edit(control.xml, (doc) => {
      stripSignature(responseOf(doc));
      assertionOf(doc).setAttribute("ID", "_renamed");
    });
    await expectReason({ xml }, control.requestId, "not_covered_by_signature");
  });

  // ---- comment injection, stripped signatures, attacker key -------------------------------------------------

  it("comment injection in NameID (signature still valid: C14N drops comments) → comment_in_value", async () => {
    const xml = edit(control.xml, (doc) => {
      const nameId = only(doc, NS_SAML, "NameID");
      setText(nameId, "alice");
      nameId.appendChild(doc.createComment(" x "));
      nameId.appendChild(doc.createTextNode("@idp.test.evil.example"));
    });
    await expectReason({ xml }, control.requestId, "comment_in_value");
  });

  it("signature stripped from Response and Assertion → signature_missing", async () => {
    const xml = edit(control.xml, (doc) => {
      stripSignature(responseOf(doc));
      stripSignature(assertionOf(doc));
    });
    await expectReason({ xml }, control.requestId, "signature_missing");
  });

  it("unsigned Assertion inside a (validly) signed Response → assertion_not_signed; accepted only if the policy allows", async () => {
    const xml = resign(control.xml, idpKey, idpCertPem, () => {}, { assertion: false });
    await expectReason({ xml }, control.requestId, "assertion_not_signed");
    await expectReason({ xml }, control.requestId, "accepted" as SamlReason, { wantAssertionsSigned: false });
    // and without re-signing, removing the assertion signature breaks the Response signature
    const broken = edit(control.xml, (doc) => stripSignature(assertionOf(doc)));
    await expectReason({ xml: broken }, control.requestId, "signature_invalid", { wantAssertionsSigned: false });
  });

  it("forged identity signed with an attacker key, attacker certificate in KeyInfo → untrusted_certificate", async () => {
    const xml = resign(control.xml, attacker.key, attacker.cert, (doc) => setText(only(doc, NS_SAML, "NameID"), "mallory@idp.test"));
    expect(xml).toContain(attacker.cert.split("\n")[1]!);
    await expectReason({ xml }, control.requestId, "untrusted_certificate");
  });

  it("SHA-1 signature (even by the genuine IdP key) → sha1_refused unless allowed", async () => {
    const xml = resign(control.xml, idpKey, idpCertPem, () => {}, { algorithm: SHA1 });
    await expectReason({ xml }, control.requestId, "sha1_refused");
    await expectReason({ xml }, control.requestId, "accepted" as SamlReason, { allowSha1: true });
  });

  it("multiple root elements → multiple_roots", async () => {
    const xml = `${control.xml}<samlp:Response xmlns:samlp="${NS_SAMLP}" ID="_second"/>`;
    await expectReason({ xml }, control.requestId, "multiple_roots");
  });

  it("replay: the same response twice → replay", async () => {
    const caches = createMemorySamlCaches([control.requestId]);
    expect(await validateSamlResponse({ samlResponseB64: control.b64 }, settings(control.requestId), caches)).toMatchObject({ ok: true });
    await caches.rememberRequestId(control.requestId); // even if the request id were still pending
    expect(await validateSamlResponse({ samlResponseB64: control.b64 }, settings(control.requestId), caches)).toMatchObject({ ok: false, reason: "replay" });
  });

  it("InResponseTo: not pending → in_response_to_unknown; unsolicited use of a solicited response → in_response_to_unknown", async () => {
    await expectReason({ b64: control.b64 }, "_some_other_request", "in_response_to_unknown");
    await expectReason({ b64: control.b64 }, null, "in_response_to_unknown", { allowIdpInitiated: true });
    const noIrt = resign(control.xml, idpKey, idpCertPem, (doc) => {
      responseOf(doc).removeAttribute("InResponseTo");
      only(doc, NS_SAML, "SubjectConfirmationData").removeAttribute("InResponseTo");
    });
    await expectReason({ xml: noIrt }, control.requestId, "in_response_to_missing");
    await expectReason({ xml: noIrt }, null, "idp_initiated_disabled");
  });

  // ---- addressing: audience, recipient, destination ---------------------------------------------------------

  const addressing: [string, (doc: Document) => void, SamlReason][] = [
    ["audience", (doc) => setText(only(doc, NS_SAML, "Audience"), "https://other-sp.example/metadata"), "wrong_audience"],
    ["recipient", (doc) => only(doc, NS_SAML, "SubjectConfirmationData").setAttribute("Recipient", "https://other-sp.example/acs"), "wrong_recipient"],
    ["destination", (doc) => responseOf(doc).setAttribute("Destination", "https://other-sp.example/acs"), "wrong_destination"],
  ];
  for (const [what, change, reason] of addressing) {
    it(`wrong ${what}: edited → signature_invalid; re-signed by an attacker → untrusted_certificate; issued so by the IdP → ${reason}`, async () => {
      await expectReason({ xml: edit(control.xml, change) }, control.requestId, "signature_invalid");
      await expectReason({ xml: resign(control.xml, attacker.key, attacker.cert, change) }, control.requestId, "untrusted_certificate");
      await expectReason({ xml: resign(control.xml, idpKey, idpCertPem, change) }, control.requestId, reason);
    });
  }

  it("the genuine response checked by an SP with another entity ID / ACS → wrong_audience / wrong_destination", async () => {
    await expectReason({ b64: control.b64 }, control.requestId, "wrong_audience", { spEntityId: "https://other-sp.example/metadata" });
    await expectReason({ b64: control.b64 }, control.requestId, "wrong_destination", { acsUrl: "https://other-sp.example/acs" });
  });

  // ---- time -------------------------------------------------------------------------------------------------

  it("expired (clock after NotOnOrAfter) and not yet valid (clock before IssueInstant/NotBefore)", async () => {
    await expectReason({ b64: control.b64 }, control.requestId, "expired", { now: new Date(Date.now() + 24 * 3600_000) });
    await expectReason({ b64: control.b64 }, control.requestId, "not_yet_valid", { now: new Date(Date.now() - 3600_000) });
    // within the skew is fine, the skew itself is bounded (an absurd 1-day skew acts as 300 s)
    await expectReason({ b64: control.b64 }, control.requestId, "expired", { now: new Date(Date.now() + 24 * 3600_000), clockSkewSeconds: 86_400 });
  });

  // ---- parser attacks and sizes -------------------------------------------------------------------------------

  it("XXE and entity expansion in the SAMLResponse → doctype_forbidden", async () => {
    const body = control.xml.replace(/^<\?xml[^>]*>\s*/, "");
    const xxe = `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${body.replace("alice@idp.test</saml:NameID>", "&xxe;</saml:NameID>")}`;
    await expectReason({ xml: xxe }, control.requestId, "doctype_forbidden");
    const lol = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${body}`;
    await expectReason({ xml: lol }, control.requestId, "doctype_forbidden");
  });

  it("oversized SAMLResponse → too_large (before decoding)", async () => {
    const big = control.xml.replace("</saml:NameID>", `</saml:NameID><!--${"x".repeat(600 * 1024)}-->`);
    await expectReason({ xml: big }, control.requestId, "too_large");
  });

  it("Redirect binding: the real AuthnRequest decodes; a deflate bomb SAMLRequest → deflate_bomb", () => {
    const samlRequest = new URL(control.authorizeUrl).searchParams.get("SAMLRequest")!;
    const decoded = decodeRedirectBindingMessage(samlRequest);
    expect(decoded.ok && decoded.value).toContain(`ID="${control.requestId}"`);
    const bomb = deflateRawSync(Buffer.from(`<samlp:AuthnRequest xmlns:samlp="${NS_SAMLP}">${" ".repeat(8 * 1024 * 1024)}</samlp:AuthnRequest>`));
    expect(decodeRedirectBindingMessage(bomb.toString("base64"))).toMatchObject({ ok: false, reason: "deflate_bomb" });
  });

  it("RelayState pointing to another origin → relay_state_unsafe (nothing consumed)", async () => {
    const caches = createMemorySamlCaches([control.requestId]);
    for (const relayState of ["https://evil.example/", "//evil.example/", "/\\evil.example"]) {
      expect(await validateSamlResponse({ samlResponseB64: control.b64, relayState }, settings(control.requestId), caches)).toMatchObject({ ok: false, reason: "relay_state_unsafe" });
    }
    expect(await validateSamlResponse({ samlResponseB64: control.b64, relayState: "/apps/1" }, settings(control.requestId), caches)).toMatchObject({ ok: true, relayState: "/apps/1" });
  });
});
