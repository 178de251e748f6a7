import { createSign, generateKeyPairSync } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readRedirectLogoutMessage, type LogoutMessageSettings } from "@/lib/saml/logout-message";
import { mapSamlProfile } from "@/lib/saml/flows/map-saml-profile";
import type { SamlProfile } from "@/lib/saml/validate-response";

/** Redirect-binding logout messages (query-string signature, limits, checks) and attribute mapping. */
const IDP = "https://idp.example/metadata";
const SLO = "https://atrium.example/api/saml/acme/slo";
const idpKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const attackerKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const idpPublicPem = idpKeys.publicKey.export({ type: "spki", format: "pem" }).toString();

// A public key PEM works where the flows pass certificates: createPublicKey accepts both.
const settings: LogoutMessageSettings = { idpCerts: [idpPublicPem], idpEntityId: IDP, sloUrl: SLO, clockSkewSeconds: 60, allowSha1: false };
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

function logoutRequest(over: { issuer?: string; destination?: string; issueInstant?: string; sessionIndex?: string } = {}): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" ` +
    `IssueInstant="${over.issueInstant ?? new Date().toISOString()}" Destination="${over.destination ?? SLO}">` +
    `<saml:Issuer>${over.issuer ?? IDP}</saml:Issuer>` +
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@idp.test</saml:NameID>` +
    `<samlp:SessionIndex>${over.sessionIndex ?? "_s1"}</samlp:SessionIndex></samlp:LogoutRequest>`
  );
}

function query(xml: string, opts: { key?: typeof idpKeys.privateKey | null; relayState?: string; alg?: string } = {}): string {
  const parts = [`SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString("base64"))}`];
  if (opts.relayState) parts.push(`RelayState=${encodeURIComponent(opts.relayState)}`);
  if (opts.key === null) return `?${parts.join("&")}`;
  parts.push(`SigAlg=${encodeURIComponent(opts.alg ?? RSA_SHA256)}`);
  const sig = createSign("RSA-SHA256").update(parts.join("&")).sign(opts.key ?? idpKeys.privateKey, "base64");
  return `?${parts.join("&")}&Signature=${encodeURIComponent(sig)}`;
}

describe("readRedirectLogoutMessage", () => {
  it("accepts a LogoutRequest signed by the IdP (with RelayState in the signed octets) and reads NameID and SessionIndex", () => {
    const r = readRedirectLogoutMessage(query(logoutRequest(), { relayState: "/x" }), settings);
    expect(r).toMatchObject({ ok: true, kind: "LogoutRequest", signed: true, nameId: "alice@idp.test", sessionIndexes: ["_s1"], relayState: "/x" });
  });

  it("reports an unsigned request as unsigned (the caller decides)", () => {
    expect(readRedirectLogoutMessage(query(logoutRequest(), { key: null }), settings)).toMatchObject({ ok: true, signed: false });
  });

  it("refuses an attacker's signature, a tampered RelayState, SHA-1 and a lone SigAlg", () => {
    expect(readRedirectLogoutMessage(query(logoutRequest(), { key: attackerKeys.privateKey }), settings)).toMatchObject({ ok: false, reason: "signature_invalid" });
    const q = query(logoutRequest(), { relayState: "/a" }).replace("RelayState=%2Fa", "RelayState=%2Fb");
    expect(readRedirectLogoutMessage(q, settings)).toMatchObject({ ok: false, reason: "signature_invalid" });
    expect(readRedirectLogoutMessage(query(logoutRequest(), { alg: "http://www.w3.org/2000/09/xmldsig#rsa-sha1" }), settings)).toMatchObject({ ok: false, reason: "sha1_refused" });
    expect(readRedirectLogoutMessage(`${query(logoutRequest(), { key: null })}&SigAlg=${encodeURIComponent(RSA_SHA256)}`, settings)).toMatchObject({ ok: false, reason: "signature_invalid" });
  });

  it("refuses wrong issuer, wrong destination, stale or future IssueInstant, repeated parameters", () => {
    expect(readRedirectLogoutMessage(query(logoutRequest({ issuer: "https://evil.example" })), settings)).toMatchObject({ ok: false, reason: "issuer_mismatch" });
    expect(readRedirectLogoutMessage(query(logoutRequest({ destination: "https://other.example/slo" })), settings)).toMatchObject({ ok: false, reason: "wrong_destination" });
    expect(readRedirectLogoutMessage(query(logoutRequest({ issueInstant: new Date(Date.now() - 3600_000).toISOString() })), settings)).toMatchObject({ ok: false, reason: "expired" });
    expect(readRedirectLogoutMessage(query(logoutRequest({ issueInstant: new Date(Date.now() + 3600_000).toISOString() })), settings)).toMatchObject({ ok: false, reason: "not_yet_valid" });
    const q = query(logoutRequest());
    expect(readRedirectLogoutMessage(`${q}&${q.slice(1).split("&")[0]}`, settings)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("refuses a deflate bomb and a DOCTYPE before parsing", () => {
    const bomb = deflateRawSync(Buffer.from(`<a>${" ".repeat(4 * 1024 * 1024)}</a>`)).toString("base64");
    expect(readRedirectLogoutMessage(`?SAMLRequest=${encodeURIComponent(bomb)}`, settings)).toMatchObject({ ok: false, reason: "deflate_bomb" });
    const xxe = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${logoutRequest()}`;
    expect(readRedirectLogoutMessage(query(xxe), settings)).toMatchObject({ ok: false, reason: "doctype_forbidden" });
  });
});

describe("mapSamlProfile", () => {
  const profile = (attributes: Record<string, string[]>, nameId = "Alice@IdP.Test", nameIdFormat: string | null = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"): SamlProfile => ({
    nameId,
    nameIdFormat,
    sessionIndex: "_s",
    attributes,
    sessionNotOnOrAfter: null,
    issuer: IDP,
    assertionId: "_a",
  });
  const defaults = { attributes: { email: "", firstName: "", lastName: "", displayName: "", groups: "" } };

  it("uses the default attribute names, normalises the email, falls back to first + last name", () => {
    const m = mapSamlProfile(profile({ mail: [" Bob@Example.COM "], givenName: ["Bob"], sn: ["Builder"], memberOf: ["a", "b", "a"] }), defaults);
    expect(m).toMatchObject({ email: "bob@example.com", name: "Bob Builder", groups: ["a", "b"] });
  });

  it("takes the email from an emailAddress NameID only, and the configured names only when set", () => {
    expect(mapSamlProfile(profile({}), defaults).email).toBe("alice@idp.test");
    expect(mapSamlProfile(profile({}, "alice", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"), defaults).email).toBeNull();
    const configured = { attributes: { ...defaults.attributes, email: "upn", groups: "roles" } };
    expect(mapSamlProfile(profile({ email: ["x@y.z"], upn: ["u@y.z"], groups: ["g"], roles: ["r"] }), configured)).toMatchObject({ email: "u@y.z", groups: ["r"] });
    expect(mapSamlProfile(profile({ email: ["not an email"] }), defaults).email).toBeNull();
  });
});
