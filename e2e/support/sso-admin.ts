import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect, type Locator } from "@playwright/test";
import { AppShell } from "./app-pages";

/**
 * The SSO admin page (/t/<slug>/admin/sso) as a page object, and a local IdP of its own served over https with a
 * certificate from the test CA the portal trusts (scripts/test.sh: NODE_EXTRA_CA_CERTS, SSO_METADATA_ALLOW_PRIVATE).
 * Own directory and ports (not the shared IdP that other suites start and stop).
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const INSTANCE = Number(process.env.ATRIUM_TEST_INSTANCE ?? "0");
const SHARED_IDP_DIR = process.env.SAML_IDP_DIR ?? path.join(ROOT, ".data/saml-idp");
const IDP_DIR = path.join(ROOT, `.data/saml-idp-sso-e2e-${INSTANCE}`);
const IDP_PORT = 8120 + INSTANCE;
const IDP_TLS_PORT = 8480 + INSTANCE;
const env = () => ({ ...process.env, SAML_IDP_DIR: IDP_DIR, SAML_IDP_PORT: String(IDP_PORT), SAML_IDP_TLS_PORT: String(IDP_TLS_PORT) });

export interface HttpsIdp {
  metadataUrl: string;
  entityId: string;
  /** PEM of the IdP's signing certificate and of a second certificate (for a rollover). */
  signingCert: string;
  otherCert: string;
}

export async function startHttpsIdp(): Promise<HttpsIdp> {
  mkdirSync(path.join(IDP_DIR, "cert"), { recursive: true });
  for (const f of ["ca.crt", "ca.key"]) {
    if (!existsSync(path.join(SHARED_IDP_DIR, "cert", f))) throw new Error(`the test CA ${SHARED_IDP_DIR}/cert/${f} is missing (scripts/test.sh creates it)`);
    copyFileSync(path.join(SHARED_IDP_DIR, "cert", f), path.join(IDP_DIR, "cert", f));
  }
  await run("bash", [path.join(ROOT, "scripts/saml-idp.sh")], { env: env(), timeout: 9 * 60_000, maxBuffer: 10 * 1024 * 1024 });
  return {
    metadataUrl: `https://127.0.0.1:${IDP_TLS_PORT}/simplesaml/saml2/idp/metadata.php`,
    entityId: `http://127.0.0.1:${IDP_PORT}/simplesaml/saml2/idp/metadata.php`,
    signingCert: readFileSync(path.join(IDP_DIR, "cert/idp.crt"), "utf8"),
    otherCert: readFileSync(path.join(IDP_DIR, "cert/tls.crt"), "utf8"),
  };
}

export async function stopHttpsIdp(): Promise<void> {
  await run("bash", [path.join(ROOT, "scripts/saml-idp.sh"), "--stop"], { env: env(), timeout: 60_000 });
}

export class SsoAdminPage extends AppShell {
  async goto() {
    await this.page.goto(`/t/${this.slug}/admin/sso`);
    await this.expectHere();
  }

  async openFromNav() {
    await this.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Single sign-on", exact: true }).click();
    await this.expectHere();
  }

  async expectHere() {
    await this.page.waitForURL((u) => u.pathname === `/t/${this.slug}/admin/sso`);
    await expect(this.page.getByRole("heading", { name: "Single sign-on", level: 1, exact: true })).toBeVisible();
  }

  form(name: string): Locator {
    return this.page.getByRole("form", { name });
  }

  spValue(label: "entity-id" | "acs-url" | "slo-url" | "metadata-url" | "sign-in-url"): Locator {
    return this.page.getByTestId(`sp-${label}`);
  }

  async importFromUrl(url: string) {
    const form = this.form("Import IdP metadata");
    await form.getByLabel("Metadata URL", { exact: true }).fill(url);
    await form.getByRole("button", { name: "Import metadata" }).click();
    await expect(form.getByRole("status")).toContainText("Metadata imported");
  }

  get idpCertificates(): Locator {
    return this.page.getByRole("list", { name: "IdP signing certificates" }).getByTestId("certificate");
  }

  async addIdpCertificate(pem: string) {
    const form = this.form("Add an IdP certificate");
    await form.getByLabel("Add a certificate (PEM)", { exact: true }).fill(pem);
    await form.getByRole("button", { name: "Add certificate" }).click();
  }

  async removeIdpCertificate(fingerprint: string) {
    await this.page.locator(`[data-testid="certificate"][data-fingerprint="${fingerprint}"]`).getByRole("button", { name: /^Remove certificate/ }).click();
  }

  async enableSso() {
    const form = this.form("Sign-in settings");
    await form.getByLabel("Enable SSO", { exact: true }).check();
    await form.getByRole("button", { name: "Save sign-in settings" }).click();
    await expect(form.getByRole("status")).toHaveText("Sign-in settings saved.");
  }

  async setBreakGlass(emails: string[]) {
    const form = this.form("Break-glass administrators");
    for (const email of emails) await form.getByLabel(new RegExp(`\\(${email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, `)).check();
    await form.getByRole("button", { name: "Save break-glass administrators" }).click();
    await expect(form.getByRole("status")).toHaveText("Break-glass administrators saved.");
  }

  /** Ticks "Require SSO" and saves; returns the form for the caller to check the outcome. */
  async requireSso(): Promise<Locator> {
    const form = this.form("Require SSO setting");
    await form.getByLabel("Require SSO for everyone else", { exact: true }).check();
    await form.getByRole("button", { name: "Save require SSO" }).click();
    return form;
  }
}
