import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { HomePage } from "./support/app-pages";
import { expect, test } from "./support/fixtures";
import { TenantSignInPage } from "./support/sign-in-pages";
import { SsoAdminPage, startHttpsIdp, stopHttpsIdp, type HttpsIdp } from "./support/sso-admin";

/**
 * The tenant admin configures SAML SSO in a real browser: metadata imported from the local IdP over https, Atrium's
 * SP details shown and downloadable, an IdP certificate rollover, then require SSO with a break-glass admin — after
 * which normal users no longer see the password form. (The "test connection" flow is covered by the flows' e2e.)
 */
let idp: HttpsIdp;

test.beforeAll(async () => {
  idp = await startHttpsIdp();
});

test.afterAll(async () => {
  await stopHttpsIdp();
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();

test("an admin configures SSO from the IdP's metadata URL, rolls a certificate over and requires SSO with a break-glass admin", async ({ page, tenant, addUser, openBrowser, baseURL }) => {
  test.setTimeout(120_000);
  const breakGlass = await addUser("admin", "Bree Glass");
  const member = await addUser("member", "Max Member");

  await new TenantSignInPage(page, tenant.slug).goto();
  await new TenantSignInPage(page, tenant.slug).signInToHome(tenant.owner.email, tenant.owner.password);
  const sso = new SsoAdminPage(page, tenant.slug);
  await sso.openFromNav();

  // Import from the IdP's https metadata URL.
  await sso.importFromUrl(idp.metadataUrl);
  await expect(page.getByLabel("IdP entity ID (issuer)", { exact: true })).toHaveValue(idp.entityId);
  await expect(sso.idpCertificates).toHaveCount(1);
  await expect(sso.idpCertificates.first()).toContainText("CN=atrium-test-idp");
  await expect(sso.idpCertificates.first()).toHaveAttribute("data-fingerprint", fingerprint(idp.signingCert));

  // Atrium's SP details, and the SP metadata download.
  const spBase = `${baseURL}/api/saml/${tenant.slug}`;
  await expect(sso.spValue("entity-id")).toHaveText(`${spBase}/metadata`);
  await expect(sso.spValue("acs-url")).toHaveText(`${spBase}/acs`);
  await expect(sso.spValue("slo-url")).toHaveText(`${spBase}/slo`);
  await expect(page.getByRole("list", { name: "SP certificates" }).getByTestId("certificate")).toHaveCount(1);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download SP metadata" }).click()]);
  expect(download.suggestedFilename()).toBe(`atrium-sp-metadata-${tenant.slug}.xml`);
  const xml = await readFile((await download.path())!, "utf8");
  expect(xml).toContain(`entityID="${spBase}/metadata"`);
  expect(xml).toContain(`Location="${spBase}/acs"`);
  expect(xml).not.toContain("PRIVATE KEY");
  await expect(page.getByRole("link", { name: "Test connection" }).first()).toHaveAttribute("href", `${spBase}/login?mode=test`);

  // Rollover: add the new certificate, then remove the old one; the last one has no remove button.
  await sso.addIdpCertificate(idp.otherCert);
  await expect(sso.idpCertificates).toHaveCount(2);
  await sso.removeIdpCertificate(fingerprint(idp.signingCert));
  await expect(sso.idpCertificates).toHaveCount(1);
  await expect(sso.idpCertificates.first()).toHaveAttribute("data-fingerprint", fingerprint(idp.otherCert));
  await expect(sso.idpCertificates.first().getByRole("button", { name: /^Remove/ })).toHaveCount(0);

  // Require SSO: refused without a break-glass admin, accepted with one.
  await sso.enableSso();
  const refused = await sso.requireSso();
  await expect(refused.getByRole("alert")).toContainText("without a break-glass administrator");
  await sso.setBreakGlass([breakGlass.email]);
  const accepted = await sso.requireSso();
  await expect(accepted.getByRole("status")).toContainText("SSO is now required");
  await page.reload();
  await expect(page.getByTestId("sso-summary")).toContainText("SSO required");

  // A normal user's sign-in page: SSO first, no password form (it sits behind the administrator disclosure).
  const memberPage = await openBrowser();
  const memberSignIn = new TenantSignInPage(memberPage, tenant.slug);
  await memberSignIn.goto();
  await expect(memberPage.getByRole("link", { name: "Sign in with SSO" })).toHaveAttribute("href", `${spBase}/login`);
  await expect(memberSignIn.password).toBeHidden();
  await expect(memberSignIn.email).toBeHidden();
  // Even through the disclosure, the member's right password is refused with the generic message.
  await memberPage.getByText("Administrator sign-in", { exact: true }).click();
  await memberSignIn.signIn(member.email, member.password);
  await memberSignIn.expectRefused();

  // The break-glass admin still signs in with a password.
  const adminPage = await openBrowser();
  const adminSignIn = new TenantSignInPage(adminPage, tenant.slug);
  await adminSignIn.goto();
  await adminPage.getByText("Administrator sign-in", { exact: true }).click();
  await adminSignIn.signIn(breakGlass.email, breakGlass.password);
  await new HomePage(adminPage, tenant.slug).expectHere(breakGlass);
});
