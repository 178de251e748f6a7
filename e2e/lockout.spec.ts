import { AuditPage, ownerOnPolicies } from "./support/admin-pages";
import { expect, test } from "./support/fixtures";
import { TenantSignInPage } from "./support/sign-in-pages";

test.describe("lockout", () => {
  test("after 3 failures the account is locked, even for the correct password, and the audit log shows it", async ({ page, tenant, addUser, openBrowser }) => {
    const member = await addUser();

    const policies = await ownerOnPolicies(page, tenant);
    await policies.setLockoutPolicy({ threshold: 3 });
    await policies.expectLockoutPolicySaved();

    // Someone else's browser guesses the member's password three times.
    const attacker = new TenantSignInPage(await openBrowser(), tenant.slug);
    await attacker.goto();
    for (const guess of ["Guess-number-1", "Guess-number-2", "Guess-number-3"]) {
      await attacker.signIn(member.email, guess);
      await attacker.expectRefused();
    }
    // The correct password no longer gets in: the same generic message.
    await attacker.signIn(member.email, member.password);
    await attacker.expectRefused();
    await expect(attacker.page).toHaveURL((u) => u.pathname === TenantSignInPage.path(tenant.slug));
    await expect(attacker.page.getByTestId("signed-in-email")).toHaveCount(0);

    // The admin finds the lockout in the audit log.
    const audit = new AuditPage(page, tenant.slug);
    await audit.open("Audit log");
    await audit.expectHere();
    await expect(audit.rows("signin.failure").first()).toBeVisible();
    await audit.filter({ action: "signin.lockout" });
    await expect(audit.rows("signin.lockout")).toHaveCount(1);
    await expect(audit.rows("signin.lockout")).toContainText("failure");
    await expect(audit.rows("signin.lockout")).toContainText(member.email);
    // Only that action is listed now.
    await expect(audit.rows("signin.failure")).toHaveCount(0);
    await expect(audit.allRows).toHaveCount(1);
    // The last attempt (correct password) was refused because of the lock.
    await audit.filter({ action: "signin.failure" });
    await expect(audit.rows("signin.failure").filter({ hasText: "account_locked" })).toHaveCount(1);
    await expect(audit.rows("signin.failure").filter({ hasText: "wrong_password" })).toHaveCount(3);
  });
});
