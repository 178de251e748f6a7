/**
 * SAML flows through Atrium's real routes (/api/saml/<slug>/…) with the real local IdP (SimpleSAMLphp, driven over
 * HTTP like a browser), the real test database and Redis: SP-initiated and IdP-initiated sign-in, JIT provisioning
 * and group mapping, one-time InResponseTo, SessionNotOnOrAfter, refusals (disabled user, JIT off), the admin's
 * connection test, Single Logout both ways, and hostile RelayState.
 */
import { createSign } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionCookieName } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { BASE_URL } from "../../support/atrium-client";
import { PASSWORD, makeTenant, signedIn, type TestTenant } from "../../support/fixtures";
import { SamlBrowser, formAction, formField, type Page } from "../../support/saml-browser";
import { NS_SAML, only, parse, toXml } from "../../support/saml-forge";
import { registerSp, stopIdp, type LocalIdp } from "../../support/saml-idp";
import { groupNamesOf, makeSsoConnection, mapGroup, spOf, updateSso } from "../../support/sso";

const COOKIE = sessionCookieName();
let idp: LocalIdp;

async function ssoTenant(settings: Parameters<typeof makeSsoConnection>[2] = {}, opts: { signLogout?: boolean } = {}): Promise<TestTenant> {
  const t = await makeTenant("sso");
  const sp = spOf(t);
  idp = await registerSp({ entityId: sp.entityId, acsUrl: sp.acsUrl, sloUrl: sp.sloUrl, signLogout: opts.signLogout });
  await makeSsoConnection(t, idp, settings);
  return t;
}

interface IdpAnswer {
  action: string;
  b64: string;
  relayState: string | null;
}

/** From an Atrium (or IdP) URL to the IdP's auto-submit form, signing in at the IdP when it asks. */
async function throughIdp(b: SamlBrowser, startUrl: string, user = "alice", password = "alicepass"): Promise<IdpAnswer> {
  let page = await b.go(startUrl);
  if (!formField(page.body, "SAMLResponse")) {
    const authState = formField(page.body, "AuthState");
    expect(authState, `expected the IdP login form at ${page.url}: ${page.body.slice(0, 300)}`).toBeTruthy();
    page = await b.go(page.url, { form: new URLSearchParams({ username: user, password, AuthState: authState! }) });
  }
  const b64 = formField(page.body, "SAMLResponse");
  expect(b64, `no SAMLResponse from the IdP: ${page.body.slice(0, 300)}`).toBeTruthy();
  return { action: formAction(page.body)!, b64: b64!, relayState: formField(page.body, "RelayState") };
}

async function postAcs(b: SamlBrowser, a: IdpAnswer, relayState: string | null = a.relayState): Promise<Page> {
  const form = new URLSearchParams({ SAMLResponse: a.b64 });
  if (relayState !== null) form.set("RelayState", relayState);
  // The IdP's auto-submitted form: a cross-site POST (its Origin is the IdP's).
  return b.go(a.action, { form, headers: { origin: new URL(idp.ssoUrl).origin } });
}

const sessionsOf = (tenantId: string) => db().session.count({ where: { tenantId } });

async function expectErrorPage(page: Page, t: TestTenant, reason: string, kind = "failed") {
  expect(page.status).toBe(200);
  const url = new URL(page.url);
  expect(url.pathname).toBe(`/t/${t.slug}/sso-error`);
  expect(url.searchParams.get("kind")).toBe(kind);
  const ref = url.searchParams.get("ref")!;
  expect(page.body).toContain(ref);
  expect(page.body).not.toMatch(/at .*\.(ts|js):\d+|Error:|stack/i);
  const rows = await db().auditEvent.findMany({ where: { tenantId: t.id, action: "auth.sso_failed", requestId: ref } });
  expect(rows.map((r) => r.reason)).toEqual([reason]);
  expect(rows[0]!.metadata).toMatchObject({ correlationId: ref, idpEntityId: idp.entityId });
  for (const hop of page.hops) expect(hop.setCookies.filter((c) => c.startsWith(`${COOKIE}=`) && !/max-age=0/i.test(c))).toEqual([]);
  return rows[0]!;
}

async function me(b: SamlBrowser): Promise<{ status: number; email?: string; csrfToken?: string; groups?: string[] }> {
  const { res } = await b.send(`${BASE_URL}/api/me`);
  if (res.status !== 200) return { status: res.status };
  const body = (await res.json()) as { csrfToken: string; user: { email: string; groups: { name: string }[] | string[] } };
  return { status: 200, email: body.user.email, csrfToken: body.csrfToken };
}

describe("SAML flows through Atrium's routes with SimpleSAMLphp", () => {
  afterAll(async () => {
    await stopIdp();
  }, 90_000);

  let t: TestTenant;
  beforeAll(async () => {
    t = await ssoTenant({ jitEnabled: true });
    await db().tenant.update({ where: { id: t.id }, data: { sessionMaxSeconds: 7 * 86_400 } });
    await mapGroup(t, "analysts", { groupName: "Analysts" });
    await mapGroup(t, "admins", { groupName: "Admins", role: "admin" });
  }, 10 * 60_000);

  it("SP-initiated: alice is JIT-provisioned with mapped groups and role, gets a SAML session capped by SessionNotOnOrAfter", async () => {
    const b = new SamlBrowser();
    const before = await sessionsOf(t.id);
    const answer = await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login?next=${encodeURIComponent(`/t/${t.slug}/account`)}`);
    expect(answer.action).toBe(spOf(t).acsUrl);
    const page = await postAcs(b, answer);
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe(`/t/${t.slug}/account`);
    const cookieHop = page.hops.find((h) => h.setCookies.some((c) => c.startsWith(`${COOKIE}=`)))!;
    expect(new URL(cookieHop.url).pathname).toBe(`/api/saml/${t.slug}/acs`);
    const setCookie = cookieHop.setCookies.find((c) => c.startsWith(`${COOKIE}=`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);

    expect(await me(b)).toMatchObject({ status: 200, email: "alice@idp.test" });
    const user = await db().user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: t.id, email: "alice@idp.test" } } });
    expect(user).toMatchObject({ status: "active", role: "admin", name: "Alice Analyst" });
    expect(await groupNamesOf(user.id)).toEqual(["Admins", "Analysts"]);
    expect(await sessionsOf(t.id)).toBe(before + 1);

    const session = await db().session.findFirstOrThrow({ where: { userId: user.id, revokedAt: null } });
    expect(session).toMatchObject({ authMethod: "saml", ssoNameId: "alice@idp.test", ssoNameIdFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" });
    expect(session.ssoSessionIndex).toBeTruthy();
    const snoa = only(parse(toXml(answer.b64)), NS_SAML, "AuthnStatement").getAttribute("SessionNotOnOrAfter")!;
    expect(Math.abs(session.expiresAt.getTime() - new Date(snoa).getTime())).toBeLessThan(1000);
    expect(session.expiresAt.getTime()).toBeLessThan(Date.now() + 7 * 86_400_000 - 3600_000);

    const signIn = await db().auditEvent.findFirstOrThrow({ where: { tenantId: t.id, action: "auth.sign_in", targetId: session.id } });
    expect(signIn.metadata).toMatchObject({ method: "saml", idpEntityId: idp.entityId, jitProvisioned: true });

    // The same POST again: refused, no new session, no cookie.
    const sessions = await sessionsOf(t.id);
    const again = await postAcs(new SamlBrowser(), answer);
    await expectErrorPage(again, t, "replay");
    expect(await sessionsOf(t.id)).toBe(sessions);
  });

  it("login CSRF: a response obtained in one browser cannot sign in another browser", async () => {
    const attackerBrowser = new SamlBrowser();
    const answer = await throughIdp(attackerBrowser, `${BASE_URL}/api/saml/${t.slug}/login`, "bob", "bobpass");
    const before = await sessionsOf(t.id);
    const victim = new SamlBrowser();
    const page = await postAcs(victim, answer);
    await expectErrorPage(page, t, "browser_mismatch");
    expect(await sessionsOf(t.id)).toBe(before);
    expect(victim.cookie(BASE_URL, COOKIE)).toBeUndefined();
    // …and the planted response is used up: the attacker cannot complete it either.
    await expectErrorPage(await postAcs(attackerBrowser, answer), t, "replay");
  });

  it("rotation: signing in through SSO ends the session the browser held", async () => {
    const b = new SamlBrowser();
    await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login`));
    const first = b.cookie(BASE_URL, COOKIE)!;
    await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login`));
    expect(b.cookie(BASE_URL, COOKIE)).not.toBe(first);
    const { sha256Hex } = await import("@/lib/security/tokens");
    expect(await db().session.findUniqueOrThrow({ where: { tokenHash: sha256Hex(first) } })).toMatchObject({ revokedReason: "rotated" });
  });

  it("sync: mapped groups no longer asserted are removed, unmapped groups kept; an owner's role is never changed", async () => {
    const old = await mapGroup(t, "contractors", { groupName: "Contractors" });
    const unmapped = await db().group.create({ data: { tenantId: t.id, name: "Hand-managed" } });
    const bob = await db().user.create({ data: { tenantId: t.id, email: "bob@idp.test", name: "Bob", role: "owner", status: "active" } });
    await db().groupMember.createMany({ data: [{ tenantId: t.id, groupId: old!, userId: bob.id }, { tenantId: t.id, groupId: unmapped.id, userId: bob.id }] });
    const b = new SamlBrowser();
    const page = await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login`, "bob", "bobpass"));
    expect(new URL(page.url).pathname).toBe(`/t/${t.slug}/app`);
    expect(await groupNamesOf(bob.id)).toEqual(["Analysts", "Hand-managed"]);
    expect((await db().user.findUniqueOrThrow({ where: { id: bob.id } })).role).toBe("owner");
  });

  it("a disabled user is refused (no session); with JIT off an unknown user is refused with a clear message", async () => {
    const t2 = await ssoTenant({ jitEnabled: false });
    await db().user.create({ data: { tenantId: t2.id, email: "bob@idp.test", name: "Bob", status: "disabled" } });
    const before = await sessionsOf(t2.id);
    const b = new SamlBrowser();
    const disabled = await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t2.slug}/login`, "bob", "bobpass"));
    await expectErrorPage(disabled, t2, "user_disabled", "user_disabled");
    expect(disabled.body).toContain("Your account is disabled");
    const b2 = new SamlBrowser();
    const unknown = await postAcs(b2, await throughIdp(b2, `${BASE_URL}/api/saml/${t2.slug}/login`));
    await expectErrorPage(unknown, t2, "jit_disabled", "not_provisioned");
    expect(unknown.body).toContain("You don&#x27;t have an account here yet");
    expect(await sessionsOf(t2.id)).toBe(before);
    expect(await db().user.count({ where: { tenantId: t2.id, email: "alice@idp.test" } })).toBe(0);
  });

  it("IdP-initiated sign-in: refused by default, accepted when switched on; RelayState to another origin refused", async () => {
    const t3 = await ssoTenant();
    const unsolicited = (b: SamlBrowser, relay?: string) =>
      throughIdp(b, `${idp.ssoUrl}?spentityid=${encodeURIComponent(spOf(t3).entityId)}${relay ? `&RelayState=${encodeURIComponent(relay)}` : ""}`);
    const b = new SamlBrowser();
    const refused = await postAcs(b, await unsolicited(b));
    await expectErrorPage(refused, t3, "idp_initiated_disabled");
    expect(await sessionsOf(t3.id)).toBe(0);

    await updateSso(t3, { allowIdpInitiated: true });
    const evil = await postAcs(b, await unsolicited(b, "https://evil.example/phish"));
    await expectErrorPage(evil, t3, "relay_state_unsafe");
    expect(await sessionsOf(t3.id)).toBe(0);

    const ok = await postAcs(b, await unsolicited(b, `/t/${t3.slug}/account`));
    expect(new URL(ok.url).pathname).toBe(`/t/${t3.slug}/account`);
    expect(await me(b)).toMatchObject({ status: 200, email: "alice@idp.test" });
    expect(await sessionsOf(t3.id)).toBe(1);
  });

  it("the AuthnRequest is signed (RSA-SHA256, SP key) when the IdP wants signed requests, unsigned otherwise", async () => {
    const { createVerify } = await import("node:crypto");
    const start = async () => {
      const { res } = await new SamlBrowser().send(`${BASE_URL}/api/saml/${t.slug}/login`);
      expect(res.status).toBe(303);
      return res.headers.get("location")!;
    };
    const signed = await start();
    expect(signed.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
    const raw = signed.slice(signed.indexOf("?") + 1).split("&");
    const param = (k: string) => raw.find((p) => p.startsWith(`${k}=`))!.slice(k.length + 1);
    expect(decodeURIComponent(param("SigAlg"))).toBe("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    const spCert = (await db().ssoConnection.findUniqueOrThrow({ where: { tenantId: t.id } })).spCertificate;
    const octets = `SAMLRequest=${param("SAMLRequest")}&SigAlg=${param("SigAlg")}`;
    expect(createVerify("RSA-SHA256").update(octets).verify(spCert, decodeURIComponent(param("Signature")), "base64")).toBe(true);
    expect(createVerify("RSA-SHA256").update(`${octets}x`).verify(spCert, decodeURIComponent(param("Signature")), "base64")).toBe(false);
    await db().ssoConnection.update({ where: { tenantId: t.id }, data: { idpWantsSignedRequests: false } });
    try {
      const unsigned = new URL(await start());
      expect(unsigned.searchParams.get("SAMLRequest")).toBeTruthy();
      expect(unsigned.searchParams.has("Signature")).toBe(false);
    } finally {
      await db().ssoConnection.update({ where: { tenantId: t.id }, data: { idpWantsSignedRequests: true } });
    }
  });

  it("next= to another origin or another tenant falls back to the tenant's home", async () => {
    const b = new SamlBrowser();
    const page = await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login?next=${encodeURIComponent("https://evil.example/")}`));
    expect(page.url).toBe(`${BASE_URL}/t/${t.slug}/app`);
    const page2 = await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login?next=${encodeURIComponent("/t/other-tenant/app")}`));
    expect(page2.url).toBe(`${BASE_URL}/t/${t.slug}/app`);
  });

  it("test mode: an admin sees the received attributes and no session is created; a member may not test", async () => {
    const admin = await signedIn(t, t.owner.email, PASSWORD);
    const b = new SamlBrowser();
    b.setCookie(BASE_URL, COOKIE, admin.cookies.get(COOKIE)!);
    const before = await sessionsOf(t.id);
    const page = await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login?mode=test`));
    expect(new URL(page.url).pathname).toBe(`/t/${t.slug}/admin/sso/test-result`);
    expect(page.body).toContain("alice@idp.test");
    expect(page.body).toContain("analysts, admins");
    expect(page.body).toContain("Alice Analyst");
    expect(await sessionsOf(t.id)).toBe(before);
    expect(b.cookie(BASE_URL, COOKIE)).toBe(admin.cookies.get(COOKIE));
    expect(await db().auditEvent.count({ where: { tenantId: t.id, action: "sso.test_connection" } })).toBe(1);

    const anonymous = await new SamlBrowser().go(`${BASE_URL}/api/saml/${t.slug}/login?mode=test`);
    await expectErrorPage(anonymous, t, "test_not_allowed", "not_allowed");
  });

  it("unknown tenant or no connection: the error page, never a 500", async () => {
    const t4 = await makeTenant("nosso");
    for (const path of [`/api/saml/${t4.slug}/login`, `/api/saml/no-such-tenant-x/login`, `/api/saml/${t4.slug}/slo?SAMLRequest=abc`]) {
      const page = await new SamlBrowser().go(`${BASE_URL}${path}`);
      expect(page.status, path).toBe(200);
      expect(new URL(page.url).pathname).toMatch(/\/sso-error$/);
    }
    const post = await new SamlBrowser().go(`${BASE_URL}/api/saml/${t4.slug}/acs`, { form: new URLSearchParams({ SAMLResponse: "PHg+" }) });
    expect(new URL(post.url).pathname).toBe(`/t/${t4.slug}/sso-error`);
    const { res } = await new SamlBrowser().send(`${BASE_URL}/api/saml/${t4.slug}/metadata`);
    expect(res.status).toBe(404);
    const md = await new SamlBrowser().send(`${BASE_URL}/api/saml/${t.slug}/metadata`);
    expect(md.res.status).toBe(200);
    expect(await md.res.text()).toContain(`entityID="${spOf(t).entityId}"`);
  });

  it("SP-initiated Single Logout: Sign out ends the session, the IdP session ends, and the browser lands signed out", async () => {
    const b = new SamlBrowser();
    await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login`));
    const { csrfToken } = await me(b);
    const sessionId = (await db().session.findFirstOrThrow({ where: { tenantId: t.id, revokedAt: null }, orderBy: { createdAt: "desc" } })).id;

    // Without the CSRF token (a cross-site form): refused, session intact.
    const forged = await b.go(`${BASE_URL}/api/saml/${t.slug}/slo`, { form: new URLSearchParams({ csrf: "nope" }), headers: { origin: "https://evil.example" } });
    expect(forged.status).toBe(403);
    expect(await me(b)).toMatchObject({ status: 200 });

    const out = await b.go(`${BASE_URL}/api/saml/${t.slug}/slo`, { form: new URLSearchParams({ csrf: csrfToken! }), headers: { origin: BASE_URL } });
    const toIdp = out.hops.find((h) => h.location?.startsWith(idp.sloUrl));
    expect(toIdp, JSON.stringify(out.hops)).toBeTruthy();
    const sloQuery = new URL(toIdp!.location!).searchParams;
    expect(sloQuery.get("SigAlg")).toBe("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    expect(sloQuery.get("Signature")).toBeTruthy();
    expect(out.url).toBe(`${BASE_URL}/t/${t.slug}/sign-in?signedout=1`);
    expect(out.hops.some((h) => h.url.startsWith(`${spOf(t).sloUrl}?SAMLResponse=`))).toBe(true);
    expect(await me(b)).toMatchObject({ status: 401 });
    expect(await db().session.findUniqueOrThrow({ where: { id: sessionId } })).toMatchObject({ revokedReason: "signed_out" });
    expect(await db().auditEvent.count({ where: { tenantId: t.id, action: "auth.sso_logout_completed" } })).toBeGreaterThanOrEqual(1);

    // The IdP session is gone too: starting again shows the IdP's login form.
    const again = await b.go(`${BASE_URL}/api/saml/${t.slug}/login`);
    expect(formField(again.body, "AuthState")).toBeTruthy();
    expect(formField(again.body, "SAMLResponse")).toBeNull();
  });

  it("IdP-initiated Single Logout ends the Atrium session; a LogoutRequest with a bad signature is refused", async () => {
    const b = new SamlBrowser();
    await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${t.slug}/login`));
    expect(await me(b)).toMatchObject({ status: 200 });
    // The IdP's logout sends the browser to our SLO with a LogoutRequest; intercept it first.
    const started = await b.go(`${idp.sloUrl}?ReturnTo=${encodeURIComponent(new URL(idp.ssoUrl).origin + "/simplesaml/")}`, { stopAt: (u) => u.startsWith(spOf(t).sloUrl) });
    expect(started.url.startsWith(`${spOf(t).sloUrl}?SAMLRequest=`), started.url).toBe(true);

    // Tampered: a signature that the IdP's certificate does not verify.
    const bad = new URL(started.url);
    bad.searchParams.set("SigAlg", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    bad.searchParams.set("Signature", Buffer.from("x".repeat(384)).toString("base64"));
    const refused = await new SamlBrowser().go(bad.toString());
    await expectErrorPage(refused, t, "signature_invalid", "logout_failed");
    expect(await me(b)).toMatchObject({ status: 200 });

    // Signed by an attacker key: refused the same way.
    const { generateKeyPairSync } = await import("node:crypto");
    const attacker = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const raw = started.url.slice(started.url.indexOf("?") + 1).split("&").filter((p) => !p.startsWith("Signature=") && !p.startsWith("SigAlg="));
    const octets = `${raw.join("&")}&SigAlg=${encodeURIComponent("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")}`;
    const sig = createSign("RSA-SHA256").update(octets).sign(attacker.privateKey, "base64");
    const forged = await new SamlBrowser().go(`${spOf(t).sloUrl}?${octets}&Signature=${encodeURIComponent(sig)}`);
    await expectErrorPage(forged, t, "signature_invalid", "logout_failed");
    expect(await me(b)).toMatchObject({ status: 200 });

    // A deflate bomb in SAMLRequest: stopped at the inflate cap.
    const bomb = deflateRawSync(Buffer.from(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${" ".repeat(8 * 1024 * 1024)}</samlp:LogoutRequest>`));
    const bombed = await new SamlBrowser().go(`${spOf(t).sloUrl}?SAMLRequest=${encodeURIComponent(bomb.toString("base64"))}`);
    await expectErrorPage(bombed, t, "deflate_bomb", "logout_failed");

    // The genuine request (unsigned by SimpleSAMLphp's default, but naming the live SessionIndex): session ends.
    const done = await b.go(started.url);
    expect(done.status).toBeLessThan(400);
    expect(done.hops.some((h) => h.location?.startsWith(`${idp.sloUrl}?SAMLResponse=`))).toBe(true);
    expect(await me(b)).toMatchObject({ status: 401 });
    const ev = await db().auditEvent.findFirstOrThrow({ where: { tenantId: t.id, action: "auth.sso_logout" }, orderBy: { seq: "desc" } });
    expect(ev.metadata).toMatchObject({ direction: "idp", nameId: "alice@idp.test", endedSessions: 1 });

    // Replayed (unsigned, and its SessionIndex no longer names a live session): refused.
    await expectErrorPage(await new SamlBrowser().go(started.url), t, "logout_unsigned", "logout_failed");
  });

  it("IdP-initiated Single Logout signed by the IdP (sign.logout): the query signature verifies, the session ends; a replay is refused", async () => {
    const signedT = await ssoTenant({}, { signLogout: true });
    const b = new SamlBrowser();
    await postAcs(b, await throughIdp(b, `${BASE_URL}/api/saml/${signedT.slug}/login`));
    expect(await me(b)).toMatchObject({ status: 200 });
    const started = await b.go(`${idp.sloUrl}?ReturnTo=${encodeURIComponent(new URL(idp.ssoUrl).origin + "/simplesaml/")}`, { stopAt: (u) => u.startsWith(spOf(signedT).sloUrl) });
    const url = new URL(started.url);
    expect(url.searchParams.get("SigAlg")).toBe("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    expect(url.searchParams.get("Signature")).toBeTruthy();
    const done = await b.go(started.url);
    expect(done.status).toBeLessThan(400);
    expect(await me(b)).toMatchObject({ status: 401 });
    const ev = await db().auditEvent.findFirstOrThrow({ where: { tenantId: signedT.id, action: "auth.sso_logout" }, orderBy: { seq: "desc" } });
    expect(ev.metadata).toMatchObject({ direction: "idp", signed: true, endedSessions: 1 });
    await expectErrorPage(await new SamlBrowser().go(started.url), signedT, "replay", "logout_failed");
  });

  it("discovery: a require-SSO tenant's users go straight to the IdP; otherwise to the sign-in page", async () => {
    const t5 = await ssoTenant({ requireSso: true });
    const ask = async (email: string) => {
      const r = await fetch(`${BASE_URL}/api/discover`, { method: "POST", headers: { "content-type": "application/json", origin: BASE_URL }, body: JSON.stringify({ email }) });
      return (await r.json()) as { signInUrl: string; sso: { loginUrl: string; required: boolean } | null };
    };
    const required = await ask(`someone@${t5.domain}`);
    expect(required.signInUrl).toBe(`${spOf(t5).loginUrl}?next=${encodeURIComponent(`/t/${t5.slug}/app`)}`);
    const b = new SamlBrowser();
    const page = await b.go(required.signInUrl);
    expect(page.url.startsWith(idp.ssoUrl.replace(/SSOService\.php$/, "")) || page.url.includes("/simplesaml/")).toBe(true);
    const optional = await ask(`someone@${t.domain}`);
    expect(optional.signInUrl).toContain(`/t/${t.slug}/sign-in`);
    expect(optional.sso?.loginUrl).toContain(`/api/saml/${t.slug}/login`);
  });
});
