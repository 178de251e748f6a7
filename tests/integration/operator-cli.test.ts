import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../support/atrium-client";
import { uniqueSlug } from "../support/fixtures";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

const run = promisify(execFile);

/** The operator's command line, run as an operator would (same environment as the server). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/atrium-cli.ts", ...args], { env: process.env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

afterAll(async () => {
  await closeDb();
  await closeRedis();
});

describe("npm run atrium -- tenant:create", () => {
  it("creates a tenant with its first owner and prints a working one-time link", async () => {
    const slug = uniqueSlug("cli");
    const r = await cli("tenant:create", "--slug", slug, "--name", "CLI Corp", "--domain", `${slug}.test`, "--admin-email", `It@${slug}.test`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Created tenant ${slug}`);
    const url = r.stdout.match(/https?:\/\/\S+\/set-password\/(\S+)/);
    expect(url).not.toBeNull();
    const owner = await db().user.findFirstOrThrow({ where: { tenant: { slug } } });
    expect(owner).toMatchObject({ email: `it@${slug}.test`, role: "owner", status: "invited" });
    const link = await new AtriumClient().get<{ email: string; tenantSlug: string }>(`/api/set-password/${url![1]}`);
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ email: `it@${slug}.test`, tenantSlug: slug });
    const audit = await db().auditEvent.findFirst({ where: { tenantId: owner.tenantId, action: "tenant.created" } });
    expect(audit).toMatchObject({ actorType: "system", actorLabel: "cli" });
  });

  it("refuses bad input with a clear message and exit code 2, creating nothing", async () => {
    const ambiguous = await cli("tenant:create", "--slug", "-x", "--name", "N", "--admin-email", "a@b.test");
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/^error: Option '--slug' argument is ambiguous/);
    expect(ambiguous.stderr).not.toMatch(/\n\s+at /);

    const bad = await cli("tenant:create", "--slug=-Bad Slug-", "--name", "", "--admin-email", "not-an-email");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/slug: Slug must be 1-40 lowercase letters/);
    expect(bad.stderr).toMatch(/admin\.email: Enter a valid email address/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await db().tenant.count({ where: { slug: "-bad slug-" } })).toBe(0);

    const slug = uniqueSlug("cli");
    expect((await cli("tenant:create", "--slug", slug, "--name", "One", "--admin-email", `a@${slug}.test`)).code).toBe(0);
    const dup = await cli("tenant:create", "--slug", slug, "--name", "Two", "--admin-email", `b@${slug}.test`);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain("error: That slug is already taken.");
  });
});
