import { AccountPage, AppShell } from "./support/app-pages";
import { SessionsPage } from "./support/admin-pages";
import { expect, test } from "./support/fixtures";
import { TenantSignInPage } from "./support/sign-in-pages";

test.describe("revocation", () => {
  test("an admin revokes a member's session; the member's next navigation lands on sign-in", async ({ page, tenant, addUser, openBrowser }) => {
    const member = await addUser();

    // Context 1: the member, signed in.
    const memberPage = await openBrowser();
    const memberSignIn = new TenantSignInPage(memberPage, tenant.slug);
    await memberSignIn.goto();
    await memberSignIn.signInToHome(member.email, member.password);

    // Context 2: the admin opens Sessions and sees both sessions, their own marked.
    const adminSignIn = new TenantSignInPage(page, tenant.slug);
    await adminSignIn.goto();
    await adminSignIn.signInToHome(tenant.owner.email, tenant.owner.password);
    const sessions = new SessionsPage(page, tenant.slug);
    await sessions.open("Sessions");
    await sessions.expectHere();
    await expect(sessions.rows(tenant.owner.email)).toContainText("(this session)");
    await expect(sessions.rows(member.email)).toHaveCount(1);
    await expect(sessions.rows(member.email)).not.toContainText("(this session)");

    await sessions.revokeOnlySessionOf(member.email);
    await expect(sessions.rows(member.email)).toHaveCount(0);
    // The admin's own session is untouched.
    await expect(sessions.rows(tenant.owner.email)).toHaveCount(1);

    // The member clicks "Account": the revoked session takes them to sign in.
    await new AppShell(memberPage, tenant.slug).open("Account");
    await memberSignIn.expectSessionEnded();
    await expect(memberPage.getByTestId("signed-in-email")).toHaveCount(0);
    // And a reload of a signed-in page does too.
    await memberPage.goto(`/t/${tenant.slug}/account`);
    await memberSignIn.expectSessionEnded();

    // The member can sign in again (a new session).
    await memberSignIn.signInToHome(member.email, member.password);
  });

  test("\"Sign out everywhere\" also signs out the user's other browser", async ({ tenant, addUser, openBrowser }) => {
    const member = await addUser();
    const laptop = await openBrowser();
    const phone = await openBrowser();
    for (const p of [laptop, phone]) {
      const signIn = new TenantSignInPage(p, tenant.slug);
      await signIn.goto();
      await signIn.signInToHome(member.email, member.password);
    }

    const account = new AccountPage(laptop, tenant.slug);
    await account.open("Account");
    await account.expectHere();
    await account.signOutEverywhere();
    await new TenantSignInPage(laptop, tenant.slug).expectSignedOut();

    // The other browser's session ended too.
    await phone.reload();
    await new TenantSignInPage(phone, tenant.slug).expectSessionEnded();

    // And this one's is really gone, not just hidden.
    await laptop.goto(`/t/${tenant.slug}/app`);
    await new TenantSignInPage(laptop, tenant.slug).expectSessionEnded();
  });
});
