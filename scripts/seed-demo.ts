import { mkdir, readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { db, closeDb } from "@/lib/db/client";
import { hashPassword } from "@/lib/auth/password-hashing";
import { closeRedis } from "@/lib/redis";

/**
 * Seeds the demo: tenant "demo" (email domain example.com) with an owner, a
 * member and a group, plus a platform operator. Idempotent; passwords are
 * random per installation, kept in .data/demo/credentials.json (git-ignored) and
 * printed every time.
 */
interface Credentials {
  admin: string;
  member: string;
  operator: string;
}

const file = path.join(process.cwd(), ".data/demo/credentials.json");
const strong = () => `Demo-${randomBytes(9).toString("base64url")}-7a`;

async function loadCredentials(): Promise<Credentials> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Credentials;
  } catch {
    const c = { admin: strong(), member: strong(), operator: strong() };
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(c, null, 2), { mode: 0o600 });
    return c;
  }
}

async function upsertUser(tenantId: string, email: string, name: string, role: "owner" | "member", password: string) {
  const existing = await db().user.findUnique({ where: { tenantId_email: { tenantId, email } } });
  if (existing?.passwordHash) return existing;
  const passwordHash = await hashPassword(password);
  return db().user.upsert({
    where: { tenantId_email: { tenantId, email } },
    create: { tenantId, email, name, role, status: "active", passwordHash, passwordChangedAt: new Date() },
    update: { status: "active", passwordHash, passwordChangedAt: new Date() },
  });
}

const creds = await loadCredentials();
const tenant = await db().tenant.upsert({
  where: { slug: "demo" },
  create: { slug: "demo", name: "Demo Company", domains: { create: [{ domain: "example.com" }] } },
  update: {},
});
await upsertUser(tenant.id, "admin@example.com", "Ada Admin", "owner", creds.admin);
const member = await upsertUser(tenant.id, "member@example.com", "Max Member", "member", creds.member);
const group = await db().group.upsert({
  where: { tenantId_name: { tenantId: tenant.id, name: "Analysts" } },
  create: { tenantId: tenant.id, name: "Analysts", description: "Demo group", cpuMillis: 1000, memoryMiB: 1024 },
  update: {},
});
await db().groupMember.upsert({
  where: { groupId_userId: { groupId: group.id, userId: member.id } },
  create: { tenantId: tenant.id, groupId: group.id, userId: member.id },
  update: {},
});
if (!(await db().operator.findUnique({ where: { email: "operator@example.com" } }))) {
  await db().operator.create({ data: { email: "operator@example.com", name: "Platform Operator", passwordHash: await hashPassword(creds.operator) } });
}

console.log(`
Demo tenant "Demo Company" (sign in at /t/demo/sign-in, or type an @example.com address on the start page):
  admin   admin@example.com    ${creds.admin}
  member  member@example.com   ${creds.member}
Platform operator (/operator/sign-in):
  operator@example.com         ${creds.operator}
`);
await closeDb();
await closeRedis();
