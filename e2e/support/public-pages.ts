import { expect, type Locator, type Page } from "@playwright/test";
import { MSG } from "./messages";

/** /set-password/<token>: the page a one-time invitation or reset link opens. */
export class SetPasswordPage {
  constructor(readonly page: Page) {}

  async open(url: string) {
    await this.page.goto(url);
  }

  /** The link is valid: the form for this email is showing. */
  async expectFormFor(email: string) {
    await expect(this.page.getByText(email, { exact: true })).toBeVisible();
    await expect(this.page.getByText("Your password needs")).toBeVisible();
    await expect(this.page.getByRole("button", { name: "Set password" })).toBeVisible();
  }

  async setPassword(password: string, confirm = password) {
    await this.page.getByLabel("New password", { exact: true }).fill(password);
    await this.page.getByLabel("Confirm password", { exact: true }).fill(confirm);
    await this.page.getByRole("button", { name: "Set password" }).click();
  }

  /** The form's error alert (inside the form: Next's route announcer, also role=alert, is not). */
  get error(): Locator {
    return this.page.locator("form").getByRole("alert");
  }

  async expectDone() {
    await expect(this.page.getByRole("status").filter({ hasText: MSG.passwordSet })).toBeVisible();
  }

  get signInLink(): Locator {
    return this.page.getByRole("link", { name: "Sign in" });
  }

  async expectInvalidLink() {
    await expect(this.page.getByRole("alert").filter({ hasText: MSG.linkInvalid })).toBeVisible();
    await expect(this.page.getByRole("button", { name: "Set password" })).toHaveCount(0);
  }
}

/** /operator: the operator console's tenant list and "Create tenant" form. */
export class OperatorConsolePage {
  constructor(readonly page: Page) {}

  async expectHere(email: string) {
    await this.page.waitForURL((u) => u.pathname === "/operator");
    await expect(this.page.getByRole("heading", { name: "Tenants", level: 1, exact: true })).toBeVisible();
    await expect(this.page.getByTestId("signed-in-email")).toHaveText(email);
  }

  /** Creates a tenant and returns its first admin's one-time set-password link. */
  async createTenant(t: { slug: string; name: string; domains: string[]; adminEmail: string; adminName: string }): Promise<string> {
    const form = this.page.getByRole("form", { name: "Create tenant" });
    await form.getByLabel("Slug", { exact: true }).fill(t.slug);
    await form.getByLabel("Organisation name", { exact: true }).fill(t.name);
    await form.getByLabel("Email domains (comma separated)", { exact: true }).fill(t.domains.join(", "));
    await form.getByLabel("First admin email", { exact: true }).fill(t.adminEmail);
    await form.getByLabel("First admin name", { exact: true }).fill(t.adminName);
    await form.getByRole("button", { name: "Create tenant" }).click();
    const link = form.getByTestId("set-password-link");
    await expect(link).toBeVisible();
    return (await link.textContent())?.trim() ?? "";
  }

  tenantRow(slug: string): Locator {
    return this.page.getByTestId(`tenant-row-${slug}`);
  }
}
