import { expect, type Locator, type Page } from "@playwright/test";
import { MSG } from "./messages";

/** "/": find your organisation by work email. */
export class StartPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/");
  }

  async continueWith(email: string) {
    await this.page.getByLabel("Work email", { exact: true }).fill(email);
    await this.page.getByRole("button", { name: "Continue" }).click();
  }

  get operatorLink(): Locator {
    return this.page.getByRole("link", { name: "Platform operator" });
  }
}

/** Shared by the tenant and operator sign-in pages (the same form). */
abstract class PasswordSignIn {
  constructor(readonly page: Page) {}

  get email(): Locator {
    return this.page.getByLabel("Email", { exact: true });
  }

  get password(): Locator {
    return this.page.getByLabel("Password", { exact: true });
  }

  get submit(): Locator {
    return this.page.getByRole("button", { name: "Sign in" });
  }

  /** Fills and submits the form (does not wait for the outcome). */
  async signIn(email: string, password: string) {
    await this.email.fill(email);
    await this.password.fill(password);
    await this.submit.click();
  }

  /** The one message every refused sign-in shows. */
  async expectRefused() {
    await expect(this.page.getByRole("alert").filter({ hasText: MSG.refused })).toBeVisible();
    await expect(this.page.getByRole("alert").filter({ hasText: MSG.refused })).toHaveText(MSG.refused);
    // The form is usable again for the next try.
    await expect(this.submit).toBeEnabled();
  }
}

/** /t/<slug>/sign-in */
export class TenantSignInPage extends PasswordSignIn {
  constructor(
    page: Page,
    readonly slug: string,
  ) {
    super(page);
  }

  static path(slug: string) {
    return `/t/${slug}/sign-in`;
  }

  async goto() {
    await this.page.goto(TenantSignInPage.path(this.slug));
  }

  heading(tenantName: string): Locator {
    return this.page.getByRole("heading", { name: `Sign in to ${tenantName}` });
  }

  /** Waits until the browser is on this tenant's sign-in page (any query). */
  async expectHere() {
    await this.page.waitForURL((u) => u.pathname === TenantSignInPage.path(this.slug));
    await expect(this.submit).toBeVisible();
  }

  /** The browser was sent here because its session ended (expired or revoked). */
  async expectSessionEnded() {
    await this.page.waitForURL((u) => u.pathname === TenantSignInPage.path(this.slug) && u.searchParams.get("ended") === "1");
    await expect(this.page.getByRole("status").filter({ hasText: MSG.ended })).toBeVisible();
  }

  async expectSignedOut() {
    await this.page.waitForURL((u) => u.pathname === TenantSignInPage.path(this.slug) && u.searchParams.get("signedout") === "1");
    await expect(this.page.getByRole("status").filter({ hasText: MSG.signedOut })).toBeVisible();
  }

  /** Signs in and waits for Home. */
  async signInToHome(email: string, password: string) {
    await this.signIn(email, password);
    await this.page.waitForURL((u) => u.pathname === `/t/${this.slug}/app`);
    await expect(this.page.getByTestId("signed-in-email")).toHaveText(email);
  }
}

/** /operator/sign-in */
export class OperatorSignInPage extends PasswordSignIn {
  async goto() {
    await this.page.goto("/operator/sign-in");
    await expect(this.page.getByRole("heading", { name: "Operator sign-in" })).toBeVisible();
  }
}
