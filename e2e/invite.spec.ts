import { randomBytes } from "node:crypto";
import { HomePage } from "./support/app-pages";
import { UsersPage } from "./support/admin-pages";
import { makeOperator, uniqueSlug } from "./support/db";
import { expect, test } from "./support/fixtures";
import { OperatorConsolePage, SetPasswordPage } from "./support/public-pages";
import { OperatorSignInPage, StartPage, TenantSignInPage } from "./support/sign-in-pages";

test.describe("invitations", () => {
  test("an admin invites a user; the one-time link sets a password once, and the user reaches Home", async ({ page, tenant, openBrowser }) => {
    const adminSignIn = new TenantSignInPage(page, tenant.slug);
    await adminSignIn.goto();
    await adminSignIn.signInToHome(tenant.owner.email, tenant.owner.password);
    const users = new UsersPage(page, tenant.slug);
    await users.open("Users");
    await users.expectHere();

    const email = `newbie-${randomBytes(3).toString("hex")}@${tenant.domain}`;
    const link = await users.invite(email, "Nina Newbie", "member");
    expect(new URL(link).pathname).toMatch(/^\/set-password\/[^/]+$/);
    await expect(users.row(email)).toContainText("invited");

    // The invited person opens the link in their own browser.
    const newcomer = await openBrowser();
    const setPassword = new SetPasswordPage(newcomer);
    await setPassword.open(link);
    await setPassword.expectFormFor(email);

    // A weak password lists what is wrong (tenant defaults: 12 characters, upper, lower, digit).
    await setPassword.setPassword("weak");
    await expect(setPassword.error).toContainText("Use at least 12 characters");
    await expect(setPassword.error).toContainText("Include an uppercase letter.");
    await expect(setPassword.error).toContainText("Include a digit.");

    const password = "Bright-Window-Seven-7";
    await setPassword.setPassword(password);
    await setPassword.expectDone();
    await setPassword.signInLink.click();

    // The sign-in page knows who is coming.
    const signIn = new TenantSignInPage(newcomer, tenant.slug);
    await signIn.expectHere();
    await expect(signIn.email).toHaveValue(email);
    await signIn.password.fill(password);
    await signIn.submit.click();
    const home = new HomePage(newcomer, tenant.slug);
    await home.expectHere({ email, name: "Nina Newbie" });
    await expect(newcomer.getByTestId("home-role")).toHaveText("member");

    // The link was for one use only.
    const again = await openBrowser();
    await new SetPasswordPage(again).open(link);
    await new SetPasswordPage(again).expectInvalidLink();

    // The admin now sees the user as active.
    await page.reload();
    await expect(users.row(email)).toContainText("active");
  });

  test("an operator creates a tenant; its first admin sets a password and signs in", async ({ page, openBrowser }) => {
    const operator = await makeOperator();

    const start = new StartPage(page);
    await start.goto();
    await start.operatorLink.click();
    const operatorSignIn = new OperatorSignInPage(page);
    await expect(page.getByRole("heading", { name: "Operator sign-in" })).toBeVisible();
    await operatorSignIn.signIn(operator.email, "Wrong-operator-password-1");
    await operatorSignIn.expectRefused();
    await operatorSignIn.signIn(operator.email, operator.password);
    const operatorConsole = new OperatorConsolePage(page);
    await operatorConsole.expectHere(operator.email);

    const slug = uniqueSlug("op");
    const domain = `${slug}.test`;
    const adminEmail = `first-admin@${domain}`;
    const link = await operatorConsole.createTenant({ slug, name: `Org ${slug}`, domains: [domain], adminEmail, adminName: "Fiona First" });
    await expect(operatorConsole.tenantRow(slug)).toContainText(`Org ${slug}`);
    await expect(operatorConsole.tenantRow(slug)).toContainText(domain);

    // The first admin, in their own browser.
    const admin = await openBrowser();
    const setPassword = new SetPasswordPage(admin);
    await setPassword.open(link);
    await setPassword.expectFormFor(adminEmail);
    const password = "Steady-Anchor-Forty-2";
    await setPassword.setPassword(password);
    await setPassword.expectDone();
    await setPassword.signInLink.click();

    const signIn = new TenantSignInPage(admin, slug);
    await signIn.expectHere();
    await expect(signIn.heading(`Org ${slug}`)).toBeVisible();
    await expect(signIn.email).toHaveValue(adminEmail);
    await signIn.password.fill(password);
    await signIn.submit.click();
    const home = new HomePage(admin, slug);
    await home.expectHere({ email: adminEmail, name: "Fiona First" });
    await expect(admin.getByTestId("home-role")).toHaveText("owner");
    await expect(home.navLink("Users")).toBeVisible();
    await expect(home.navLink("Policies")).toBeVisible();
  });
});
