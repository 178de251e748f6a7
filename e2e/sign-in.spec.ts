import { AppShell, HomePage } from "./support/app-pages";
import { expect, test } from "./support/fixtures";
import { StartPage, TenantSignInPage } from "./support/sign-in-pages";

test.describe("sign-in", () => {
  test("start page finds the organisation by email domain; sign in, sign out, and the ended session stays ended", async ({ page, tenant, addUser }) => {
    const member = await addUser("member", "Max Member");

    const start = new StartPage(page);
    await start.goto();
    await expect(start.operatorLink).toBeVisible();
    await start.continueWith(member.email);

    // Discovery by the email's domain lands on this tenant's sign-in page, email prefilled.
    const signIn = new TenantSignInPage(page, tenant.slug);
    await signIn.expectHere();
    await expect(signIn.heading(tenant.name)).toBeVisible();
    await expect(signIn.email).toHaveValue(member.email);

    await signIn.password.fill(member.password);
    await signIn.submit.click();

    const home = new HomePage(page, tenant.slug);
    await home.expectHere(member);
    await expect(page.getByTestId("home-role")).toHaveText("member");
    // A member sees no admin sections.
    await expect(home.navLink("Account")).toBeVisible();
    await expect(home.navLink("Users")).toHaveCount(0);

    // Keep the session cookie, to replay it after signing out.
    const sessionCookies = (await page.context().cookies()).filter((c) => c.name.endsWith("atrium.session"));
    expect(sessionCookies).toHaveLength(1);

    await home.signOut(); // waits for "You have signed out."

    // The signed-in area now sends the browser to sign in.
    await page.goto(`/t/${tenant.slug}/app`);
    await signIn.expectSessionEnded();
    await expect(page.getByTestId("signed-in-email")).toHaveCount(0);

    // Even the old cookie, put back, is worth nothing: the session ended on the server.
    await page.context().addCookies(sessionCookies);
    await page.goto(`/t/${tenant.slug}/app`);
    await signIn.expectSessionEnded();
    await expect(page.getByTestId("signed-in-email")).toHaveCount(0);
  });

  test("wrong password and unknown email get the same generic message", async ({ page, tenant, addUser }) => {
    const member = await addUser();
    const signIn = new TenantSignInPage(page, tenant.slug);
    await signIn.goto();
    await expect(signIn.heading(tenant.name)).toBeVisible();

    await signIn.signIn(member.email, "Not-the-password-1");
    await signIn.expectRefused();
    await expect(page).toHaveURL((u) => u.pathname === TenantSignInPage.path(tenant.slug));
    await expect(signIn.password).toHaveValue("");

    await signIn.signIn(`nobody-here@${tenant.domain}`, member.password);
    await signIn.expectRefused();

    // A real user with the right password still gets in afterwards.
    await signIn.signInToHome(member.email, member.password);
    await new AppShell(page, tenant.slug).expectSignedInAs(member.email);
  });

  test("an unknown tenant slug is a 404 page", async ({ page }) => {
    const response = await page.goto("/t/no-such-tenant/sign-in");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign in" })).toHaveCount(0);
  });

  test("the start page says so when no organisation uses the email's domain", async ({ page }) => {
    const start = new StartPage(page);
    await start.goto();
    await start.continueWith("someone@no-such-organisation.test");
    await expect(page.getByRole("alert").filter({ hasText: "No organisation signs in people with that email domain." })).toBeVisible();
    await expect(page).toHaveURL((u) => u.pathname === "/");
  });
});
