import { randomBytes } from "node:crypto";
import pg from "pg";
import { hashPassword } from "../../lib/auth/password-hashing";

/**
 * Test data written straight into the test instance's database (DATABASE_URL of
 * scripts/test.sh). tests/support/fixtures.ts cannot be loaded by Playwright:
 * its product imports reach `next/server`, which Node's ESM loader does not
 * resolve outside Next. So the few rows the end-to-end tests need are made here
 * with plain SQL, and passwords are hashed with the product's own argon2id code.
 * Every tenant gets a unique slug and email domain: tests never share data.
 */
export const PASSWORD = "Correct-Horse-42-battery";

export type Role = "owner" | "admin" | "member";

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
}

export interface TestTenant {
  id: string;
  slug: string;
  name: string;
  domain: string;
  owner: TestUser;
}

let pool: pg.Pool | null = null;

function sql(): pg.Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run the end-to-end tests through scripts/test.sh");
  pool ??= new pg.Pool({ connectionString: url, max: 4 });
  return pool;
}

/** Ends this worker's connections (call in afterAll). A later call to a helper opens a new pool. */
export async function closeDb(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.end();
}

export function uniqueSlug(prefix = "e2e"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** A tenant with an active owner whose password is PASSWORD (product defaults for every policy). */
export async function makeTenant(prefix = "e2e"): Promise<TestTenant> {
  const slug = uniqueSlug(prefix);
  const domain = `${slug}.test`;
  const name = `Tenant ${slug}`;
  const { rows } = await sql().query<{ id: string }>(`INSERT INTO tenants (slug, name, updated_at) VALUES ($1, $2, now()) RETURNING id`, [slug, name]);
  const id = rows[0]!.id;
  await sql().query(`INSERT INTO tenant_domains (domain, tenant_id) VALUES ($1, $2)`, [domain, id]);
  const tenant = { id, slug, name, domain } as TestTenant;
  tenant.owner = await makeUser(tenant, "owner", "Olivia Owner", `owner@${domain}`);
  return tenant;
}

/** An active user with a password (as if they had used their invitation). */
export async function makeUser(t: Pick<TestTenant, "id" | "domain">, role: Role = "member", name = "Max Member", email?: string): Promise<TestUser> {
  const address = email ?? `${role}-${hex(4)}@${t.domain}`;
  const passwordHash = await hashPassword(PASSWORD);
  const { rows } = await sql().query<{ id: string }>(
    `INSERT INTO users (tenant_id, email, name, role, status, password_hash, password_changed_at, updated_at)
     VALUES ($1, $2, $3, $4::"Role", 'active', $5, now(), now()) RETURNING id`,
    [t.id, address, name, role, passwordHash],
  );
  return { id: rows[0]!.id, email: address, name, password: PASSWORD };
}

/** A platform operator (there is no UI to create one: operators are made by whoever runs the installation). */
export async function makeOperator(): Promise<{ id: string; email: string; password: string }> {
  const email = `operator-${hex(4)}@ops.e2e.test`;
  const { rows } = await sql().query<{ id: string }>(`INSERT INTO operators (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id`, [
    email,
    "Test Operator",
    await hashPassword(PASSWORD),
  ]);
  return { id: rows[0]!.id, email, password: PASSWORD };
}

