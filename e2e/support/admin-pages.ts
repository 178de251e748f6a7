import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-pages";
import { MSG } from "./messages";
import { TenantSignInPage } from "./sign-in-pages";

/** Base for /t/<slug>/admin/<section>: the page's h1 tells it has loaded. */
abstract class AdminPage extends AppShell {
  protected abstract readonly section: string;
  protected abstract readonly title: string;

  async goto() {
    await this.page.goto(`/t/${this.slug}/admin/${this.section}`);
    await this.expectHere();
  }

  async expectHere() {
    await this.page.waitForURL((u) => u.pathname === `/t/${this.slug}/admin/${this.section}`);
    await expect(this.page.getByRole("heading", { name: this.title, level: 1, exact: true })).toBeVisible();
  }

  /** A status (role=status) with this text. */
  status(text: string): Locator {
    return this.page.getByRole("status").filter({ hasText: text });
  }

  /** An error alert with this text (Next's own route announcer is also role=alert, so filter by text). */
  alert(text: string | RegExp): Locator {
    return this.page.getByRole("alert").filter({ hasText: text });
  }
}

/** /t/<slug>/admin/policies: three forms, each saved on its own. */
export class PoliciesPage extends AdminPage {
  protected readonly section = "policies";
  protected readonly title = "Policies";

  form(name: "Session policy" | "Password policy" | "Sign-in lockout"): Locator {
    return this.page.getByRole("form", { name });
  }

  private field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  async setSessionPolicy(maxSeconds: number, idleSeconds: number) {
    // The forms appear once the policies have loaded.
    await this.field("Maximum session duration (seconds)").fill(String(maxSeconds));
    await this.field("Idle timeout (seconds)").fill(String(idleSeconds));
    await this.page.getByRole("button", { name: "Save session policy" }).click();
  }

  async expectSessionPolicySaved() {
    await expect(this.form("Session policy").getByRole("status").filter({ hasText: MSG.sessionPolicySaved })).toBeVisible();
  }

  async setPasswordPolicy(p: { minLength?: number; requireLower?: boolean; requireUpper?: boolean; requireDigit?: boolean; requireSymbol?: boolean; history?: number; expireAfterDays?: number | null }) {
    if (p.minLength !== undefined) await this.field("Minimum length").fill(String(p.minLength));
    if (p.history !== undefined) await this.field("Remember previous passwords").fill(String(p.history));
    if (p.expireAfterDays !== undefined) await this.field("Expire after (days, empty = never)").fill(p.expireAfterDays === null ? "" : String(p.expireAfterDays));
    const boxes = { requireLower: "Require lowercase", requireUpper: "Require uppercase", requireDigit: "Require digit", requireSymbol: "Require symbol" } as const;
    for (const [key, label] of Object.entries(boxes) as [keyof typeof boxes, string][]) {
      const want = p[key];
      if (want !== undefined) await this.field(label).setChecked(want);
    }
    await this.page.getByRole("button", { name: "Save password policy" }).click();
  }

  async expectPasswordPolicySaved() {
    await expect(this.form("Password policy").getByRole("status").filter({ hasText: MSG.passwordPolicySaved })).toBeVisible();
  }

  async setLockoutPolicy(p: { threshold?: number; windowSeconds?: number; durationSeconds?: number }) {
    if (p.threshold !== undefined) await this.field("Failures before lock").fill(String(p.threshold));
    if (p.windowSeconds !== undefined) await this.field("Counting window (seconds)").fill(String(p.windowSeconds));
    if (p.durationSeconds !== undefined) await this.field("Lock duration (seconds)").fill(String(p.durationSeconds));
    await this.page.getByRole("button", { name: "Save lockout policy" }).click();
  }

  async expectLockoutPolicySaved() {
    await expect(this.form("Sign-in lockout").getByRole("status").filter({ hasText: MSG.lockoutPolicySaved })).toBeVisible();
  }
}

/** /t/<slug>/admin/users */
export class UsersPage extends AdminPage {
  protected readonly section = "users";
  protected readonly title = "Users";

  get inviteForm(): Locator {
    return this.page.getByRole("form", { name: "Invite user" });
  }

  /** Invites someone and returns the one-time set-password link the page shows. */
  async invite(email: string, name: string, role: "member" | "admin" | "owner" = "member"): Promise<string> {
    const form = this.inviteForm;
    await form.getByLabel("Email", { exact: true }).fill(email);
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByLabel("Role", { exact: true }).selectOption(role);
    await form.getByRole("button", { name: "Invite" }).click();
    const link = form.getByTestId("set-password-link");
    await expect(link).toBeVisible();
    return (await link.textContent())?.trim() ?? "";
  }

  row(email: string): Locator {
    return this.page.getByTestId(`user-row-${email}`);
  }
}

/** /t/<slug>/admin/sessions */
export class SessionsPage extends AdminPage {
  protected readonly section = "sessions";
  protected readonly title = "Sessions";

  rows(email: string): Locator {
    return this.page.getByTestId(`session-row-${email}`);
  }

  /** Revokes the one live session of `email` (the row's "Revoke" button). */
  async revokeOnlySessionOf(email: string) {
    const row = this.rows(email);
    await expect(row).toHaveCount(1);
    const button = row.getByRole("button", { name: /^Revoke session [0-9a-f]{32}$/ });
    await expect(button).toHaveText("Revoke");
    await button.click();
    await expect(this.status(`Session of ${email} revoked.`)).toBeVisible();
  }
}

/** /t/<slug>/admin/audit */
export class AuditPage extends AdminPage {
  protected readonly section = "audit";
  protected readonly title = "Audit log";

  get filters(): Locator {
    return this.page.getByRole("form", { name: "Filters" });
  }

  async filter(f: { action?: string; outcome?: "" | "success" | "failure"; actor?: string }) {
    if (f.action !== undefined) await this.filters.getByLabel("Action", { exact: true }).fill(f.action);
    if (f.outcome !== undefined) await this.filters.getByLabel("Outcome", { exact: true }).selectOption(f.outcome);
    if (f.actor !== undefined) await this.filters.getByLabel("Actor", { exact: true }).fill(f.actor);
    await this.filters.getByRole("button", { name: "Apply filters" }).click();
  }

  rows(action: string): Locator {
    return this.page.getByTestId(`audit-row-${action}`);
  }

  /** Every event row of the table, whatever its action. */
  get allRows(): Locator {
    return this.page.getByRole("table", { name: "Audit events" }).locator("tbody tr[data-testid^='audit-row-']");
  }
}

/** Signs the tenant's owner in on `page` and opens Policies through the navigation, as an admin would. */
export async function ownerOnPolicies(page: Page, tenant: { slug: string; owner: { email: string; password: string } }): Promise<PoliciesPage> {
  const signIn = new TenantSignInPage(page, tenant.slug);
  await signIn.goto();
  await signIn.signInToHome(tenant.owner.email, tenant.owner.password);
  const policies = new PoliciesPage(page, tenant.slug);
  await policies.open("Policies");
  await policies.expectHere();
  return policies;
}
