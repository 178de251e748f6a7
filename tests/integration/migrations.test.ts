import { cp, mkdtemp, appendFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "@/lib/db/migrate";

/** Runs the migration runner against a scratch database on the test cluster. */
const adminUrl = process.env.DATABASE_URL!;
const scratch = `atrium_migrate_${process.pid}`;
const scratchUrl = adminUrl.replace(/\/[^/?]+(\?|$)/, `/${scratch}$1`);

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${scratch}`);
  await admin(`CREATE DATABASE ${scratch}`);
});
afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
});

describe("migration runner", () => {
  it("applies every migration once, in order, with Prisma's bookkeeping", async () => {
    const first = await migrate(scratchUrl);
    expect(first.applied.length).toBeGreaterThanOrEqual(2);
    expect(first.applied).toEqual([...first.applied].sort());
    const again = await migrate(scratchUrl);
    expect(again).toEqual({ applied: [], alreadyApplied: first.applied.length });

    const c = new pg.Client({ connectionString: scratchUrl });
    await c.connect();
    const rows = await c.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`);
    await c.end();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(first.applied);
    for (const r of rows.rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/); // sha256 of migration.sql, as `prisma migrate` computes it
      expect(r.finished_at).toBeInstanceOf(Date);
    }
  });

  it("refuses a migration edited after it was applied, naming it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "atrium-migrations-"));
    try {
      await cp(path.join(process.cwd(), "prisma/migrations"), dir, { recursive: true });
      await appendFile(path.join(dir, "20261124030000_init", "migration.sql"), "\n-- edited\n");
      await expect(migrate(scratchUrl, dir)).rejects.toThrow(/20261124030000_init was modified after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rolls a failing migration back and leaves it unapplied", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "atrium-migrations-"));
    try {
      await cp(path.join(process.cwd(), "prisma/migrations"), dir, { recursive: true });
      await cp(path.join(dir, "20261124030000_init"), path.join(dir, "29991231000000_broken"), { recursive: true });
      await appendFile(path.join(dir, "29991231000000_broken", "migration.sql"), "\nSELECT 1;");
      await expect(migrate(scratchUrl, dir)).rejects.toThrow(/migration 29991231000000_broken failed/);
      const c = new pg.Client({ connectionString: scratchUrl });
      await c.connect();
      const r = await c.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '29991231000000_broken'`);
      await c.end();
      expect(r.rows[0].n).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
