import { AccountPage, HomePage } from "./support/app-pages";
import { ownerOnPolicies } from "./support/admin-pages";
import { expect, test } from "./support/fixtures";
import { MSG } from "./support/messages";
import { TenantSignInPage } from "./support/sign-in-pages";

test.describe("password policy", () => {
  test("a member's new password must follow the admin's policy; the new one then signs in", async ({ page, tenant, addUser, openBrowser }) => {
    const member = await addUser();

    // The admin: at least 16 characters and a symbol.
    const policies = await ownerOnPolicies(page, tenant);
    await policies.setPasswordPolicy({ minLength: 16, requireSymbol: true });
    await policies.expectPasswordPolicySaved();
    await page.reload();
    await expect(page.getByLabel("Minimum length", { exact: true })).toHaveValue("16");
    await expect(page.getByLabel("Require symbol", { exact: true })).toBeChecked();

    // The member changes their password on Account.
    const memberPage = await openBrowser();
    const memberSignIn = new TenantSignInPage(memberPage, tenant.slug);
    await memberSignIn.goto();
    await memberSignIn.signInToHome(member.email, member.password);
    // The member is also signed in on a second browser.
    const otherBrowser = await openBrowser();
    const otherSignIn = new TenantSignInPage(otherBrowser, tenant.slug);
    await otherSignIn.goto();
    await otherSignIn.signInToHome(member.email, member.password);

    const account = new AccountPage(memberPage, tenant.slug);
    await account.open("Account");
    await account.expectHere();

    // Too weak: every broken rule is listed.
    await account.changePassword(member.password, "short");
    await expect(account.error).toBeVisible();
    await expect(account.error).toContainText("Use at least 16 characters");
    await expect(account.error).toContainText("Include a symbol");
    await expect(account.error).toContainText("Include an uppercase letter.");
    await expect(account.error).toContainText("Include a digit.");

    // Confirmation differs.
    await account.changePassword(member.password, "Long-enough-passw0rd!", "Long-enough-passw0rd?");
    await expect(account.error).toHaveText(MSG.passwordsDoNotMatch);

    // A password that follows every rule.
    const newPassword = "Quiet-Harbour-Lamp-77!";
    await account.changePassword(member.password, newPassword);
    await account.expectPasswordChanged();
    await expect(account.error).toHaveCount(0);

    // As the message says, the other session ended; this one did not.
    await otherBrowser.reload();
    await otherSignIn.expectSessionEnded();
    await account.open("Home");
    await new HomePage(memberPage, tenant.slug).expectHere(member);

    // Sign out; the old password no longer works, the new one does.
    await account.signOut();
    await memberSignIn.signIn(member.email, member.password);
    await memberSignIn.expectRefused();
    await memberSignIn.signInToHome(member.email, newPassword);
    await new HomePage(memberPage, tenant.slug).expectHere(member);
  });
});
