import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { generateSpKeyPair, sealSpKey } from "../../lib/saml/connection";
import type { TestTenant } from "./db";

/**
 * SSO for end-to-end tests: registers the tenant's SP at the local SimpleSAMLphp IdP (scripts/saml-idp.sh; port and
 * directory from SAML_IDP_PORT / SAML_IDP_DIR) and writes the tenant's connection and group mappings with plain SQL,
 * the SP key sealed by the product's own code.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const IDP_PORT = process.env.SAML_IDP_PORT ?? "8089";
const IDP_DIR = process.env.SAML_IDP_DIR ?? path.join(ROOT, ".data/saml-idp");
const env = () => ({ ...process.env, SAML_IDP_PORT: IDP_PORT, SAML_IDP_DIR: IDP_DIR });

export interface Idp {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  origin: string;
}

export function spUrls(baseURL: string, slug: string) {
  const base = `${baseURL}/api/saml/${slug}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, sloUrl: `${base}/slo`, loginUrl: `${base}/login` };
}

export async function registerAtIdp(baseURL: string, slug: string): Promise<Idp> {
  const sp = spUrls(baseURL, slug);
  const { stdout } = await run("bash", [path.join(ROOT, "scripts/saml-idp.sh"), "--sp-entity", sp.entityId, "--acs", sp.acsUrl, "--slo", sp.sloUrl], {
    env: env(),
    timeout: 9 * 60_000,
    maxBuffer: 10 * 1024 * 1024,
  });
  const metadataUrl = stdout.trim().split("\n").pop()!;
  const md = await (await fetch(metadataUrl)).text();
  const loc = (service: string) => new RegExp(`<md:${service}[^>]*HTTP-Redirect"[^>]*Location="([^"]+)"`).exec(md)![1]!;
  return { entityId: /entityID="([^"]+)"/.exec(md)![1]!, ssoUrl: loc("SingleSignOnService"), sloUrl: loc("SingleLogoutService"), origin: new URL(metadataUrl).origin };
}

export async function stopIdp(): Promise<void> {
  await run("bash", [path.join(ROOT, "scripts/saml-idp.sh"), "--stop"], { env: env(), timeout: 60_000 });
}

let pool: pg.Pool | null = null;
function db(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  return pool;
}
export async function closeSsoDb(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.end();
}

/** Live sessions of a tenant (to prove a connection test created none). */
export async function liveSessions(tenantId: string): Promise<number> {
  const { rows } = await db().query<{ n: string }>(`SELECT count(*) AS n FROM sessions WHERE tenant_id = $1 AND revoked_at IS NULL`, [tenantId]);
  return Number(rows[0]!.n);
}

export async function makeSsoConnection(
  t: TestTenant,
  idp: Idp,
  opts: { requireSso: boolean; mappings: { idpValue: string; groupName: string; role?: "admin" | "editor" | "member" }[] },
): Promise<void> {
  const keys = await generateSpKeyPair(`atrium-sp-${t.slug}`);
  await db().query(
    `INSERT INTO sso_connections (tenant_id, enabled, idp_entity_id, idp_sso_url, idp_slo_url, idp_certificates, idp_wants_signed_requests,
       sp_key_enc, sp_certificate, require_sso, jit_enabled, updated_at)
     VALUES ($1, true, $2, $3, $4, $5, true, $6, $7, $8, true, now())`,
    [t.id, idp.entityId, idp.ssoUrl, idp.sloUrl, [readFileSync(path.join(IDP_DIR, "cert/idp.crt"), "utf8")], sealSpKey(keys.privateKey), keys.certificate, opts.requireSso],
  );
  for (const m of opts.mappings) {
    const { rows } = await db().query<{ id: string }>(`INSERT INTO groups (tenant_id, name, updated_at) VALUES ($1, $2, now()) RETURNING id`, [t.id, m.groupName]);
    await db().query(`INSERT INTO sso_group_mappings (tenant_id, idp_value, group_id, role) VALUES ($1, $2, $3, $4::"Role")`, [t.id, m.idpValue, rows[0]!.id, m.role ?? null]);
  }
}
