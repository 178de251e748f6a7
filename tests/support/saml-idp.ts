/**
 * The local SimpleSAMLphp IdP (scripts/saml-idp.sh) for tests: start it / register an SP, read its metadata, stop it.
 * Port and directory come from SAML_IDP_PORT / SAML_IDP_DIR (defaults 8089 and .data/saml-idp), so parallel test
 * instances can each run their own.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { NS_DS, els, only, parse } from "./saml-forge";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const IDP_PORT = process.env.SAML_IDP_PORT ?? "8089";
export const IDP_DIR = process.env.SAML_IDP_DIR ?? path.join(REPO_ROOT, ".data/saml-idp");
const SCRIPT = path.join(REPO_ROOT, "scripts/saml-idp.sh");
const env = () => ({ ...process.env, SAML_IDP_PORT: IDP_PORT, SAML_IDP_DIR: IDP_DIR });
const NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata";

export interface LocalIdp {
  metadataUrl: string;
  entityId: string;
  /** Signing certificate, bare base64 (as in the metadata). */
  cert: string;
  /** Same certificate, PEM (from the IdP's directory). */
  certPem: string;
  /** The IdP's private key (to re-sign forged cases "as the IdP would"). */
  key: string;
  ssoUrl: string;
  sloUrl: string;
}

/** Registers an SP (one file per entity ID) and (re)starts the IdP; returns its metadata. */
export async function registerSp(sp: { entityId: string; acsUrl: string; sloUrl: string; certFile?: string; signLogout?: boolean }): Promise<LocalIdp> {
  const args = ["--sp-entity", sp.entityId, "--acs", sp.acsUrl, "--slo", sp.sloUrl, ...(sp.certFile ? ["--sp-cert", sp.certFile] : []), ...(sp.signLogout ? ["--sign-logout"] : [])];
  const { stdout } = await run("bash", [SCRIPT, ...args], { env: env(), timeout: 9 * 60_000, maxBuffer: 10 * 1024 * 1024 });
  return readIdp(stdout.trim().split("\n").pop()!);
}

export async function readIdp(metadataUrl: string): Promise<LocalIdp> {
  const md = parse(await (await fetch(metadataUrl)).text());
  const binding = (local: string) => els(md, NS_MD, local).find((e) => e.getAttribute("Binding")!.endsWith("HTTP-Redirect"))!.getAttribute("Location")!;
  return {
    metadataUrl,
    entityId: (md.documentElement as unknown as Element).getAttribute("entityID")!,
    cert: only(md, NS_DS, "X509Certificate").textContent!.replace(/\s+/g, ""),
    certPem: readFileSync(path.join(IDP_DIR, "cert/idp.crt"), "utf8"),
    key: readFileSync(path.join(IDP_DIR, "cert/idp.key"), "utf8"),
    ssoUrl: binding("SingleSignOnService"),
    sloUrl: binding("SingleLogoutService"),
  };
}

export async function stopIdp(): Promise<void> {
  await run("bash", [SCRIPT, "--stop"], { env: env(), timeout: 60_000 });
}
