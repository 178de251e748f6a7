/**
 * The hostile corpus through Atrium's real ACS (POST /api/saml/<slug>/acs) and SLO endpoint: each case generated from
 * a fresh, genuinely signed response of the local IdP (tests/support/saml-forge.ts, the same generators as the
 * validator's interop test) must end on the SSO error page, with an `auth.sso_failed` audit row carrying the intended
 * reason code and the page's correlation id, and must create NO session row and set NO session cookie. The unmodified
 * response (positive control) is then accepted, and its replay refused.
 */
import { deflateRawSync } from "node:zlib";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { sessionCookieName } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { generateSpKeyPair } from "@/lib/saml/connection";
import type { SamlReason } from "@/lib/saml/reasons";
import { BASE_URL } from "../../support/atrium-client";
import { makeTenant, type TestTenant } from "../../support/fixtures";
import { SamlBrowser, formAction, formField, type Page } from "../../support/saml-browser";
import {
  NS_SAML,
  NS_SAMLP,
  SHA1,
  assertionOf,
  edit,
  els,
  only,
  resign,
  responseOf,
  setText,
  stripSignature,
  toB64,
  toXml,
  xswCases,
} from "../../support/saml-forge";
import { registerSp, stopIdp, type LocalIdp } from "../../support/saml-idp";
import { makeSsoConnection, spOf } from "../../support/sso";

const COOKIE = sessionCookieName();
let idp: LocalIdp;
let t: TestTenant;
let control: { xml: string; b64: string; requestId: string };
let attacker: { privateKey: string; certificate: string };
/** The browser that started the login: only it can complete the sign-in (login-binding cookie). */
let loginBrowser: SamlBrowser;

const sessions = () => db().session.count({ where: { tenantId: t.id } });

async function post(b64: string, relayState?: string): Promise<Page> {
  const form = new URLSearchParams({ SAMLResponse: b64 });
  if (relayState !== undefined) form.set("RelayState", relayState);
  return new SamlBrowser().go(spOf(t).acsUrl, { form, headers: { origin: new URL(idp.ssoUrl).origin } });
}

async function expectRefused(page: Page, reason: SamlReason, before: number): Promise<void> {
  const url = new URL(page.url);
  expect(url.pathname, `landed on ${page.url}`).toBe(`/t/${t.slug}/sso-error`);
  expect(page.status).toBe(200);
  const ref = url.searchParams.get("ref")!;
  expect(page.body).toContain(ref);
  const rows = await db().auditEvent.findMany({ where: { tenantId: t.id, action: "auth.sso_failed", requestId: ref } });
  expect(rows.map((r) => `${r.reason}: ${(r.metadata as { detail?: string }).detail}`)[0] ?? "no audit row").toMatch(new RegExp(`^${reason}:`));
  expect(rows).toHaveLength(1);
  expect(rows[0]!.metadata).toMatchObject({ correlationId: ref, idpEntityId: idp.entityId });
  for (const hop of page.hops) expect(hop.setCookies.filter((c) => c.startsWith(`${COOKIE}=`))).toEqual([]);
  expect(await sessions()).toBe(before);
}

const future = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, "Z");

function shiftTimes(doc: Document, opts: { issue: string; notBefore: string; notOnOrAfter: string }) {
  responseOf(doc).setAttribute("IssueInstant", opts.issue);
  assertionOf(doc).setAttribute("IssueInstant", opts.issue);
  const cond = only(doc, NS_SAML, "Conditions");
  cond.setAttribute("NotBefore", opts.notBefore);
  cond.setAttribute("NotOnOrAfter", opts.notOnOrAfter);
  for (const scd of els(doc, NS_SAML, "SubjectConfirmationData")) scd.setAttribute("NotOnOrAfter", opts.notOnOrAfter);
  only(doc, NS_SAML, "AuthnStatement").setAttribute("AuthnInstant", opts.issue);
}

describe("hostile SAML responses through the real ACS: refused for the intended reason, never a session", () => {
  afterAll(async () => {
    await stopIdp();
  }, 90_000);

  beforeAll(async () => {
    t = await makeTenant("acs");
    const sp = spOf(t);
    idp = await registerSp({ entityId: sp.entityId, acsUrl: sp.acsUrl, sloUrl: sp.sloUrl });
    await makeSsoConnection(t, idp, { jitEnabled: true });
    attacker = await generateSpKeyPair("attacker");
    // A fresh login at the real IdP; the response is kept, not posted (its request stays pending).
    const b = (loginBrowser = new SamlBrowser());
    const login = await b.go(`${BASE_URL}/api/saml/${t.slug}/login`);
    const answer = await b.go(login.url, { form: new URLSearchParams({ username: "alice", password: "alicepass", AuthState: formField(login.body, "AuthState")! }) });
    expect(formAction(answer.body)).toBe(sp.acsUrl);
    const b64 = formField(answer.body, "SAMLResponse")!;
    const xml = toXml(b64);
    control = { xml, b64, requestId: responseOf(new (await import("@xmldom/xmldom")).DOMParser().parseFromString(xml, "text/xml") as unknown as Document).getAttribute("InResponseTo")! };
    expect(control.requestId).toMatch(/^_[0-9a-f]{40}$/);
  }, 10 * 60_000);

  const cases: [string, () => { b64: string; relayState?: string }, SamlReason][] = [
    ...[1, 2, 3, 4, 5, 6, 7, 8].map(
      (n) => [`XSW${n}`, () => ({ b64: toB64(xswCases(control.xml)[n - 1]!.xml) }), xswCasesReason(n)] as [string, () => { b64: string }, SamlReason],
    ),
    [
      "comment injection in NameID",
      () => ({
        b64: toB64(
          edit(control.xml, (doc) => {
            const nameId = only(doc, NS_SAML, "NameID");
            setText(nameId, "alice");
            nameId.appendChild(doc.createComment(" x "));
            nameId.appendChild(doc.createTextNode("@idp.test.evil.example"));
          }),
        ),
      }),
      "comment_in_value",
    ],
    ["signature stripped", () => ({ b64: toB64(edit(control.xml, (doc) => (stripSignature(responseOf(doc)), stripSignature(assertionOf(doc))))) }), "signature_missing"],
    ["unsigned assertion in a signed response", () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, () => {}, { assertion: false })) }), "assertion_not_signed"],
    [
      "attacker certificate in KeyInfo",
      () => ({ b64: toB64(resign(control.xml, attacker.privateKey, attacker.certificate, (doc) => setText(only(doc, NS_SAML, "NameID"), "mallory@idp.test"))) }),
      "untrusted_certificate",
    ],
    ["SHA-1 signature", () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, () => {}, { algorithm: SHA1 })) }), "sha1_refused"],
    ["multiple roots", () => ({ b64: toB64(`${control.xml}<samlp:Response xmlns:samlp="${NS_SAMLP}" ID="_second"/>`) }), "multiple_roots"],
    ["wrong audience (issued so by the IdP)", () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, (d) => setText(only(d, NS_SAML, "Audience"), "https://other-sp.example/metadata"))) }), "wrong_audience"],
    [
      "wrong recipient (issued so by the IdP)",
      () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, (d) => only(d, NS_SAML, "SubjectConfirmationData").setAttribute("Recipient", "https://other-sp.example/acs"))) }),
      "wrong_recipient",
    ],
    ["wrong destination (issued so by the IdP)", () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, (d) => responseOf(d).setAttribute("Destination", "https://other-sp.example/acs"))) }), "wrong_destination"],
    ["edited destination (signature broken)", () => ({ b64: toB64(edit(control.xml, (d) => responseOf(d).setAttribute("Destination", "https://other-sp.example/acs"))) }), "signature_invalid"],
    [
      "expired",
      () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, (d) => shiftTimes(d, { issue: future(-2 * 3600_000), notBefore: future(-2 * 3600_000), notOnOrAfter: future(-3600_000) }))) }),
      "expired",
    ],
    [
      "not yet valid",
      () => ({ b64: toB64(resign(control.xml, idp.key, idp.certPem, (d) => shiftTimes(d, { issue: future(3600_000), notBefore: future(3600_000), notOnOrAfter: future(2 * 3600_000) }))) }),
      "not_yet_valid",
    ],
    [
      "answer to a request Atrium never sent",
      () => ({
        b64: toB64(
          resign(control.xml, idp.key, idp.certPem, (d) => {
            // A different assertion id too: this one gets past every other check, so its id is remembered.
            assertionOf(d).setAttribute("ID", "_forged_assertion_for_unknown_request");
            responseOf(d).setAttribute("InResponseTo", "_forged_request");
            only(d, NS_SAML, "SubjectConfirmationData").setAttribute("InResponseTo", "_forged_request");
          }),
        ),
      }),
      "in_response_to_unknown",
    ],
    [
      "XXE",
      () => ({
        b64: toB64(
          `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${control.xml.replace(/^<\?xml[^>]*>\s*/, "").replace("alice@idp.test</saml:NameID>", "&xxe;</saml:NameID>")}`,
        ),
      }),
      "doctype_forbidden",
    ],
    [
      "entity expansion (billion laughs)",
      () => ({
        b64: toB64(`<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${control.xml.replace(/^<\?xml[^>]*>\s*/, "")}`),
      }),
      "doctype_forbidden",
    ],
    ["oversized", () => ({ b64: toB64(control.xml.replace("</saml:NameID>", `</saml:NameID><!--${"x".repeat(600 * 1024)}-->`)) }), "too_large"],
    ["not base64", () => ({ b64: "<samlp:Response/>" }), "malformed"],
    ["RelayState to another origin", () => ({ b64: control.b64, relayState: "https://evil.example/" }), "relay_state_unsafe"],
    ["RelayState scheme-relative", () => ({ b64: control.b64, relayState: "//evil.example/x" }), "relay_state_unsafe"],
  ];

  for (const [name, make, reason] of cases) {
    it(`${name} → ${reason}, no session`, async () => {
      const before = await sessions();
      const { b64, relayState } = make();
      await expectRefused(await post(b64, relayState), reason, before);
    });
  }

  it("a chunked POST without Content-Length is cut off at the limit, not buffered whole → too_large, no session", async () => {
    const before = await sessions();
    let pulled = 0;
    const total = 64 * 1024 * 1024;
    const chunk = new TextEncoder().encode("A".repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 0) controller.enqueue(new TextEncoder().encode("SAMLResponse="));
        if (pulled >= total) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(spOf(t).acsUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(idp.ssoUrl).origin }, body, duplex: "half", redirect: "manual" } as RequestInit);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toBe(`/t/${t.slug}/sso-error`);
    const row = await db().auditEvent.findFirstOrThrow({ where: { tenantId: t.id, action: "auth.sso_failed", requestId: location.searchParams.get("ref")! } });
    expect(row.reason).toBe("too_large");
    expect(pulled).toBeLessThan(total / 4); // the portal stopped reading long before the end
    expect(await sessions()).toBe(before);
  });

  it("deflate bomb in a Redirect-binding SLO message → deflate_bomb, no session", async () => {
    const before = await sessions();
    const bomb = deflateRawSync(Buffer.from(`<samlp:LogoutRequest xmlns:samlp="${NS_SAMLP}">${" ".repeat(8 * 1024 * 1024)}</samlp:LogoutRequest>`));
    const page = await new SamlBrowser().go(`${spOf(t).sloUrl}?SAMLRequest=${encodeURIComponent(bomb.toString("base64"))}`);
    await expectRefused(page, "deflate_bomb", before);
  });

  it("positive control: the unmodified response is accepted (one session, the cookie), then its replay is refused", async () => {
    const before = await sessions();
    const b = loginBrowser;
    const page = await b.go(spOf(t).acsUrl, { form: new URLSearchParams({ SAMLResponse: control.b64 }), headers: { origin: new URL(idp.ssoUrl).origin } });
    expect(page.url).toBe(`${BASE_URL}/t/${t.slug}/app`);
    expect(b.cookie(BASE_URL, COOKIE)).toBeTruthy();
    expect(await sessions()).toBe(before + 1);
    await expectRefused(await post(control.b64), "replay", before + 1);
  });
});

function xswCasesReason(n: number): SamlReason {
  return ({ 1: "duplicate_id", 2: "duplicate_id", 3: "multiple_assertions", 4: "multiple_assertions", 5: "duplicate_id", 6: "duplicate_id", 7: "multiple_assertions", 8: "duplicate_id" } as const)[n as 1]!;
}
