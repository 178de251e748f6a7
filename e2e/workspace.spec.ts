import { expect, test } from "./support/fixtures";
import { EnginesPage, WS_MSG, WorkspacePage, createSharedApp, signIn, stopAllEngines, type NodeDef } from "./support/workspace-pages";

/** A small model like the demo app: a series, a growth rate, a forecast, a total and a table. */
const NODES: NodeDef[] = [
  { id: "sales", title: "Sales", formula: "[100, 120, 140, 160]" },
  { id: "growth", title: "Growth", formula: "0.1" },
  { id: "forecast", title: "Forecast", formula: "sales.map(s => round(s * (1 + growth), 2))" },
  { id: "total", title: "Total", formula: "sum(forecast)" },
  { id: "summary", title: "Summary", formula: "table(sales.map((s, i) => ({ month: i + 1, sales: s, forecast: forecast[i] })))" },
];
const APP = "Sales forecast";

type Fixtures = Parameters<Parameters<typeof test>[2]>[0];

/** The owner (on `page`) shares the app with a new member, who signs in on a browser of their own. */
async function memberWithSharedApp({ page, tenant, addUser, openBrowser }: Pick<Fixtures, "page" | "tenant" | "addUser" | "openBrowser">, description?: string) {
  const member = await addUser();
  await signIn(page, tenant.slug, tenant.owner);
  const appId = await createSharedApp(page, { name: APP, ...(description ? { description } : {}), nodes: NODES, groupName: "Analysts", memberId: member.id });
  const memberPage = await openBrowser();
  await signIn(memberPage, tenant.slug, member);
  return { member, appId, memberPage };
}

test.describe("workspace", () => {
  test("a member opens a shared app: progress, results, an edit updates the result and the chart", async ({ page, tenant, addUser, openBrowser }) => {
    const { appId, memberPage } = await memberWithSharedApp({ page, tenant, addUser, openBrowser }, "Monthly sales");
    // Home lists the app; its link opens the workspace.
    const ws = new WorkspacePage(memberPage, tenant.slug, appId);
    await ws.recordProgress();
    await memberPage.reload();
    await memberPage.getByRole("link", { name: APP, exact: true }).click();
    await memberPage.waitForURL((u) => u.pathname === `/t/${tenant.slug}/apps/${appId}`);

    await ws.expectConnected();
    // The progress bar was shown with labelled stages and reached 100 %.
    const seen = await ws.progressSeen();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)?.value).toBe("100");
    expect(seen.at(-1)?.text).toContain("Ready");
    await expect(ws.progress).toHaveCount(0);

    // Results: a scalar, a chart of the series, a table; compute times shown.
    await expect(ws.scalar("total")).toHaveText("572");
    await expect(ws.scalar("growth")).toHaveText("0.1");
    await expect(ws.chart("forecast")).toBeVisible();
    await expect(ws.chart("forecast")).toHaveAttribute("data-points", "4");
    await expect(ws.table("summary").locator("tbody tr")).toHaveCount(4);
    await expect(ws.table("summary").getByRole("columnheader")).toHaveText(["month", "sales", "forecast"]);
    await expect(memberPage.getByTestId("compute-time-total")).toHaveText(/(Computed in|Cached · computed in) [\d.,]+ ms/);
    // Engine stats arrive through get_stats.
    await expect(memberPage.getByTestId("engine-memory")).toHaveText(/^[\d.]+ MiB$/, { timeout: 15_000 });

    // Editing a formula re-evaluates what depends on it: the total and the chart change.
    await ws.setFormula("Sales", "[100, 120, 140, 160, 180]");
    await expect(ws.scalar("total")).toHaveText("770");
    await expect(ws.chart("forecast")).toHaveAttribute("data-points", "5");
    await expect(ws.table("summary").locator("tbody tr")).toHaveCount(5);
    // The chart can show bars instead of a line.
    await expect(ws.chart("forecast")).toHaveAttribute("data-kind", "line");
    await ws.result("forecast").getByRole("button", { name: "Bar", exact: true }).click();
    await expect(ws.chart("forecast")).toHaveAttribute("data-kind", "bar");

    // A broken formula: its node and everything downstream say so, naming the node.
    await ws.setFormula("Growth", "grwth * 2");
    await expect(ws.result("growth").getByRole("alert")).toContainText("Growth (growth) failed.");
    await expect(ws.result("total").getByRole("alert")).toContainText("depends on Growth (growth), which failed.");
    await ws.setFormula("Growth", "0.5");
    await expect(ws.scalar("total")).toHaveText(/^1,?050$/);
    await stopAllEngines(page);
  });

  test("two tabs share one engine; signing out in one ends the other's workspace", async ({ page, tenant, addUser, openBrowser }) => {
    const { member, appId, memberPage: tab1 } = await memberWithSharedApp({ page, tenant, addUser, openBrowser });
    const tab2 = await tab1.context().newPage();
    const ws1 = new WorkspacePage(tab1, tenant.slug, appId);
    const ws2 = new WorkspacePage(tab2, tenant.slug, appId);
    await ws1.goto();
    await ws1.expectConnected();
    await ws2.goto();
    await ws2.expectConnected();
    await expect(ws1.scalar("total")).toHaveText("572");
    await expect(ws2.scalar("total")).toHaveText("572");

    // The admin sees exactly one engine for this user and app.
    const engines = new EnginesPage(page, tenant.slug);
    await engines.goto();
    await expect(engines.rows(member.email, APP)).toHaveCount(1);
    await expect(engines.rows(member.email, APP)).toContainText("running");

    // A change in one tab reaches the other (one shared model).
    await ws1.setFormula("Growth", "0.5");
    await expect(ws1.scalar("total")).toHaveText("780");
    await expect(ws2.scalar("total")).toHaveText("780");
    await expect(ws2.formula("Growth")).toHaveValue("0.5");

    // Sign-out in tab 1: tab 2's workspace learns its session has ended.
    await ws1.signOut();
    await expect(ws2.ended(WS_MSG.sessionEnded)).toBeVisible({ timeout: 15_000 });
    await expect(ws2.status).toHaveText(WS_MSG.disconnected);
    await expect(tab2.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", `/t/${tenant.slug}/sign-in?ended=1`);
    // Signing out also stopped the engines started under that session.
    await engines.goto();
    await expect(engines.rows(member.email, APP)).toHaveCount(0);
  });

  test("an admin stops the engine; the workspace says so and starts again", async ({ page, tenant, addUser, openBrowser }) => {
    const { member, appId, memberPage } = await memberWithSharedApp({ page, tenant, addUser, openBrowser });
    const ws = new WorkspacePage(memberPage, tenant.slug, appId);
    await ws.goto();
    await ws.expectConnected();
    await expect(ws.scalar("total")).toHaveText("572");

    const engines = new EnginesPage(page, tenant.slug);
    await engines.goto();
    await expect(engines.rows(member.email, APP)).toHaveCount(1);
    await engines.stop(member.email, APP);

    await expect(ws.ended(WS_MSG.engineStopped)).toBeVisible({ timeout: 15_000 });
    await expect(ws.status).toHaveText(WS_MSG.disconnected);
    await memberPage.getByRole("button", { name: "Start again", exact: true }).click();
    await ws.expectConnected();
    await expect(ws.scalar("total")).toHaveText("572");
    await expect(ws.ended(WS_MSG.engineStopped)).toHaveCount(0);

    // The new engine is the only one.
    await engines.goto();
    await expect(engines.rows(member.email, APP)).toHaveCount(1);
    await stopAllEngines(page);
  });

  test("after a network blip the workspace reconnects to the same engine and keeps unsaved edits", async ({ page, tenant, addUser, openBrowser }) => {
    const { member, appId, memberPage } = await memberWithSharedApp({ page, tenant, addUser, openBrowser });
    const ws = new WorkspacePage(memberPage, tenant.slug, appId);
    await ws.trackSockets();
    await ws.goto();
    await ws.expectConnected();
    await ws.setFormula("Growth", "0.5");
    await expect(ws.scalar("total")).toHaveText("780");

    // An edit not yet saved, then the connection drops.
    await ws.formula("Sales").fill("[100, 200]");
    expect(await ws.dropSocket()).toBe(1);
    await expect(ws.status).toHaveText(WS_MSG.reconnecting);
    await ws.expectConnected();
    expect(await ws.socketsOpened()).toBe(2);
    // Same engine: the change saved before the blip is still in its model; the unsaved edit is still in the form.
    await expect(ws.scalar("total")).toHaveText("780");
    await expect(ws.formula("Sales")).toHaveValue("[100, 200]");
    await ws.page.getByRole("button", { name: "Save Sales", exact: true }).click();
    await expect(ws.scalar("total")).toHaveText("450");

    const engines = new EnginesPage(page, tenant.slug);
    await engines.goto();
    await expect(engines.rows(member.email, APP)).toHaveCount(1);
    await stopAllEngines(page);
  });
});
