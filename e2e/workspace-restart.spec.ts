import { readFileSync } from "node:fs";
import pg from "pg";
import { randomIp } from "../tests/support/atrium-client";
import { startPortal, type Portal } from "../tests/support/second-replica";
import { expect, test } from "./support/fixtures";
import { WS_MSG, WorkspacePage, createSharedApp, signIn, stopAllEngines, type NodeDef } from "./support/workspace-pages";

/**
 * Portal restart in the browser: a portal process of this test's own (so it can be killed
 * without touching the suite's), with its own public origin. The workspace's automatic
 * reconnect brings it back to the SAME engine, with the state that only the engine held.
 */
const NODES: NodeDef[] = [
  { id: "sales", title: "Sales", formula: "[100, 120, 140, 160]" },
  { id: "growth", title: "Growth", formula: "0.1" },
  { id: "forecast", title: "Forecast", formula: "sales.map(s => round(s * (1 + growth), 2))" },
  { id: "total", title: "Total", formula: "sum(forecast)" },
];
const PORT_OFFSET = 600;
const port = Number(process.env.PORT ?? "3210") + PORT_OFFSET;
const origin = `http://localhost:${port}`;
const start = () => startPortal({ portOffset: PORT_OFFSET, env: { PUBLIC_ORIGIN: origin } });

async function engineOf(appId: string): Promise<{ id: string; pid: number }> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    const r = await pool.query<{ id: string; pid: string }>("SELECT id, state->>'pid' AS pid FROM engines WHERE app_id = $1 AND status = 'running'", [appId]);
    expect(r.rows).toHaveLength(1);
    return { id: r.rows[0]!.id, pid: Number(r.rows[0]!.pid) };
  } finally {
    await pool.end();
  }
}

async function endEngine(e: { id: string; pid: number }): Promise<void> {
  try {
    if (readFileSync(`/proc/${e.pid}/cmdline`, "utf8").includes(e.id)) process.kill(e.pid, "SIGTERM");
  } catch {
    // already gone
  }
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  await pool.query("UPDATE engines SET status = 'stopped', stopped_at = now() WHERE id = $1 AND status IN ('starting', 'running')", [e.id]).finally(() => pool.end());
}

test.describe("workspace across a portal restart", () => {
  let portal: Portal | null = null;
  test.afterEach(async () => {
    await portal?.stop();
    portal = null;
  });

  test("kill -9 of the portal: the workspace reconnects by itself to the same engine, its state intact", async ({ browser, tenant }) => {
    test.setTimeout(120_000);
    portal = await start();
    // A fresh server renders its first pages slowly on a loaded machine: warm the sign-in page up.
    await fetch(`${origin}/t/${tenant.slug}/sign-in`).then((r) => r.text());
    const context = await browser.newContext({ baseURL: origin, extraHTTPHeaders: { "x-forwarded-for": randomIp() } });
    const page = await context.newPage();
    let engine: { id: string; pid: number } | null = null;
    try {
      await signIn(page, tenant.slug, tenant.owner);
      const appId = await createSharedApp(page, { name: "Restart me", nodes: NODES, groupName: "Analysts", memberId: tenant.owner.id });
      const ws = new WorkspacePage(page, tenant.slug, appId);
      await ws.trackSockets();
      await ws.goto();
      await ws.expectConnected();
      await expect(ws.scalar("total")).toHaveText("572");
      // State only the engine holds: a definition changed in the workspace.
      await ws.setFormula("Growth", "0.5");
      await expect(ws.scalar("total")).toHaveText("780");
      const before = await engineOf(appId);
      engine = before;
      expect(process.kill(before.pid, 0)).toBe(true);

      await portal.kill();
      await expect(ws.status).toHaveText(WS_MSG.reconnecting);
      portal = await start();

      await ws.expectConnected();
      expect(await ws.socketsOpened()).toBeGreaterThanOrEqual(2);
      await expect(ws.scalar("total")).toHaveText("780");
      await expect(ws.ended(WS_MSG.engineCrashed)).toHaveCount(0);
      const after = await engineOf(appId);
      expect(after).toEqual(before); // same engine record, same process
      await stopAllEngines(page);
    } finally {
      // A failure half-way must not leave the engine running (the suite's leak check).
      if (engine) await endEngine(engine);
      await context.close();
    }
  });
});
