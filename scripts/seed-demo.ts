import { mkdir, readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { db, closeDb } from "@/lib/db/client";
import { hashPassword } from "@/lib/auth/password-hashing";
import { closeRedis } from "@/lib/redis";

/**
 * Seeds the demo: tenant "demo" (email domain example.com) with an owner, a
 * member, a group and the app "Sales forecast" shared with it, plus a platform operator. Idempotent; passwords are
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
// A demo app shared with "Analysts": open it from the apps page to start a private engine.
const salesNodes = [
  { id: "months", title: "Months", formula: '["Jan", "Feb", "Mar", "Apr", "May", "Jun"]' },
  { id: "sales", title: "Sales (k€)", formula: "[120, 135, 128, 150, 162, 171]" },
  { id: "growth", title: "Monthly growth", formula: "0.04" },
  { id: "forecast", title: "Forecast (k€)", formula: "sales.map((s, i) => round(s * Math.pow(1 + growth, i + 1), 1))" },
  { id: "total", title: "Forecast total (k€)", formula: "round(sum(forecast), 1)" },
  { id: "summary", title: "Forecast table", formula: "months.map((m, i) => ({ month: m, sales: sales[i], forecast: forecast[i] }))" },
];
let salesApp = await db().app.findFirst({ where: { tenantId: tenant.id, name: "Sales forecast" } });
if (!salesApp) {
  salesApp = await db().app.create({ data: { tenantId: tenant.id, name: "Sales forecast", description: "Six months of sales and a simple growth forecast", currentVersion: 1 } });
  await db().appVersion.create({ data: { tenantId: tenant.id, appId: salesApp.id, version: 1, nodes: salesNodes } });
}
await db().appShare.upsert({
  where: { appId_groupId: { appId: salesApp.id, groupId: group.id } },
  create: { tenantId: tenant.id, appId: salesApp.id, groupId: group.id },
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
