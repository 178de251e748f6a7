import { expect, type Locator, type Page } from "@playwright/test";
import { MSG } from "./messages";
import { TenantSignInPage } from "./sign-in-pages";

export type NavLink = "Home" | "Account" | "Users" | "Groups" | "Policies" | "Sessions" | "API keys" | "Audit log";

/** The signed-in frame of /t/<slug>/…: top bar and main navigation. */
export class AppShell {
  constructor(
    readonly page: Page,
    readonly slug: string,
  ) {}

  get signedInEmail(): Locator {
    return this.page.getByTestId("signed-in-email");
  }

  navLink(name: NavLink): Locator {
    return this.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
  }

  async open(name: NavLink) {
    await this.navLink(name).click();
  }

  async signOut() {
    await this.page.getByRole("button", { name: "Sign out", exact: true }).click();
    await new TenantSignInPage(this.page, this.slug).expectSignedOut();
  }

  /** A signed-in tenant page is showing (the top bar with the user's email). */
  async expectSignedInAs(email: string) {
    await expect(this.signedInEmail).toHaveText(email);
  }
}

/** /t/<slug>/app */
export class HomePage extends AppShell {
  async goto() {
    await this.page.goto(`/t/${this.slug}/app`);
  }

  welcome(name: string): Locator {
    return this.page.getByRole("heading", { name: `Welcome, ${name}` });
  }

  async expectHere(user: { email: string; name?: string }) {
    await this.page.waitForURL((u) => u.pathname === `/t/${this.slug}/app`);
    await this.expectSignedInAs(user.email);
    if (user.name) await expect(this.welcome(user.name)).toBeVisible();
  }
}

/** /t/<slug>/account */
export class AccountPage extends AppShell {
  async goto() {
    await this.page.goto(`/t/${this.slug}/account`);
    await this.expectHere();
  }

  async expectHere() {
    await this.page.waitForURL((u) => u.pathname === `/t/${this.slug}/account`);
    await expect(this.page.getByRole("heading", { name: "Account", level: 1, exact: true })).toBeVisible();
  }

  get form(): Locator {
    return this.page.getByRole("form", { name: "Change password" });
  }

  /** The change-password form's error (role=alert inside the form). */
  get error(): Locator {
    return this.form.getByRole("alert");
  }

  async changePassword(current: string, next: string, confirm = next) {
    await this.page.getByLabel("Current password", { exact: true }).fill(current);
    await this.page.getByLabel("New password", { exact: true }).fill(next);
    await this.page.getByLabel("Confirm new password", { exact: true }).fill(confirm);
    await this.page.getByRole("button", { name: "Change password" }).click();
  }

  async expectPasswordChanged() {
    await expect(this.page.getByRole("status").filter({ hasText: MSG.passwordChanged })).toBeVisible();
  }

  async signOutEverywhere() {
    await this.page.getByRole("button", { name: "Sign out everywhere" }).click();
  }
}
