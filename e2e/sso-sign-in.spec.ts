import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { StartPage, TenantSignInPage } from "./support/sign-in-pages";
import { closeSsoDb, liveSessions, makeSsoConnection, registerAtIdp, spUrls, stopIdp, type Idp } from "./support/sso";

/**
 * SAML single sign-on in Chromium against the local SimpleSAMLphp IdP (scripts/saml-idp.sh): discovery by email
 * sends a require-SSO tenant's user straight to the IdP's login page; alice signs in there, lands in Atrium
 * JIT-provisioned with her mapped groups, and signs out through Single Logout (Atrium session and IdP session
 * gone). And the admin's "test connection": the IdP's attributes are shown, no session is created.
 */
test.describe.configure({ mode: "serial" });

test.afterAll(async () => {
  await stopIdp();
  await closeSsoDb();
});

async function signInAtIdp(page: Page, user: string, password: string) {
  const username = page.locator('input[name="username"]');
  await expect(username).toBeVisible();
  await username.fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="password"]').press("Enter");
}

test("discovery → IdP login → JIT-provisioned with mapped groups → Single Logout ends both sessions", async ({ page, tenant, baseURL }) => {
  test.setTimeout(10 * 60_000); // the first run installs and starts the IdP
  const idp: Idp = await registerAtIdp(baseURL!, tenant.slug);
  await makeSsoConnection(tenant, idp, {
    requireSso: true,
    mappings: [
      { idpValue: "analysts", groupName: "Analysts" },
      { idpValue: "admins", groupName: "Admins", role: "admin" },
    ],
  });

  const start = new StartPage(page);
  await start.goto();
  await start.continueWith(`alice@${tenant.domain}`);
  // Straight to the IdP (SimpleSAMLphp's login form), not Atrium's password form.
  await expect(page).toHaveURL(new RegExp(`^${idp.origin}/simplesaml/`));
  await signInAtIdp(page, "alice", "alicepass");

  await expect(page).toHaveURL(`${baseURL}/t/${tenant.slug}/app`);
  await expect(page.getByTestId("signed-in-email")).toHaveText("alice@idp.test");
  // JIT-provisioned as admin (mapped role), with both mapped groups.
  await page.goto(`/t/${tenant.slug}/admin/users`);
  const row = page.getByRole("row").filter({ hasText: "alice@idp.test" });
  await expect(row).toContainText("Analysts");
  await expect(row).toContainText("Admins");
  await expect(row).toContainText(/admin/i);

  // Sign out → Single Logout at the IdP → back to Atrium's signed-out page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${baseURL}/t/${tenant.slug}/sign-in?signedout=1`);
  await expect(page.getByText("You have signed out.")).toBeVisible();
  // The Atrium session is gone…
  await page.goto(`/t/${tenant.slug}/app`);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}/sign-in`));
  // …and so is the IdP session: starting again asks for credentials at the IdP.
  await page.goto(spUrls(baseURL!, tenant.slug).loginUrl);
  await expect(page.locator('input[name="username"]')).toBeVisible();
  expect(await liveSessions(tenant.id)).toBe(0);
});

test("an admin tests the connection: the received attributes are shown and no session is created", async ({ page, tenant, baseURL }) => {
  test.setTimeout(5 * 60_000);
  const idp = await registerAtIdp(baseURL!, tenant.slug);
  await makeSsoConnection(tenant, idp, { requireSso: false, mappings: [{ idpValue: "analysts", groupName: "Analysts" }] });

  const signIn = new TenantSignInPage(page, tenant.slug);
  await page.goto(`/t/${tenant.slug}/sign-in`);
  await signIn.signIn(tenant.owner.email, tenant.owner.password);
  await expect(page).toHaveURL(`${baseURL}/t/${tenant.slug}/app`);
  expect(await liveSessions(tenant.id)).toBe(1);

  // The admin page's "test connection" link when it is there; its URL otherwise.
  await page.goto(`/t/${tenant.slug}/admin/sso`);
  const testLink = page.getByRole("link", { name: /test connection/i }).or(page.getByRole("button", { name: /test connection/i }));
  if (await testLink.first().isVisible().catch(() => false)) await testLink.first().click();
  else await page.goto(`${spUrls(baseURL!, tenant.slug).loginUrl}?mode=test`);

  await signInAtIdp(page, "alice", "alicepass");
  await expect(page).toHaveURL(`${baseURL}/t/${tenant.slug}/admin/sso/test-result`);
  await expect(page.getByTestId("sso-test-nameid")).toHaveText("alice@idp.test");
  await expect(page.getByTestId("sso-test-groups")).toHaveText("analysts, admins");
  await expect(page.getByTestId("sso-test-attributes")).toContainText("displayName");
  await expect(page.getByTestId("signed-in-email")).toHaveText(tenant.owner.email);
  expect(await liveSessions(tenant.id)).toBe(1);
});
