import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../../support/atrium-client";
import { makeTenant, makeUser, signedIn, type TestTenant } from "../../support/fixtures";
import { startPortal, type Portal } from "../../support/second-replica";
import { probe } from "../orchestrator/docker-probe";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { config } from "@/lib/config";
import { DockerClient } from "@/lib/orchestrator/docker/client";
import { DockerDriver } from "@/lib/orchestrator/docker-driver";
import { LABELS } from "@/lib/orchestrator/types";
import { installationId } from "@/lib/workspace/drivers";
import { makeApp, openSocket, startReady, waitFor, type Socket } from "./support";

/**
 * Workspaces through a portal process of this test's own running the docker driver
 * (ENGINE_DRIVER=docker), on the suite's database and Redis: endings remove the container
 * (checked through the Docker Engine API), tenants' engines cannot reach each other, and
 * tenant networks nothing uses any more are removed by the sweeper.
 */
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const docker = new DockerClient();
const install = installationId(config());
const names = new DockerDriver({ installationId: install });
const timings: Record<string, number> = {};
let image = "";
let portal: Portal;
let t: TestTenant;
let admin: AtriumClient;

/** A client of `c`'s browser talking to the docker portal. */
const dockerSide = (c: AtriumClient) => c.via(portal.url);

async function containerOf(engineId: string): Promise<string> {
  const row = await db().engine.findUniqueOrThrow({ where: { id: engineId }, select: { state: true, driver: true } });
  expect(row.driver).toBe("docker");
  return String((row.state as { containerId?: string }).containerId);
}

async function running(containerId: string): Promise<boolean> {
  return (await docker.inspectContainer(containerId))?.State.Running === true;
}

/** Signs a new member of `tenant` in, starts an engine of a new app through the docker portal, opens its socket. */
async function workspace(tenant: TestTenant, adminClient: AtriumClient): Promise<{ c: AtriumClient; appId: string; engineId: string; containerId: string; s: Socket }> {
  const appId = await makeApp(adminClient);
  const c = dockerSide(await signedIn(tenant, (await makeUser(tenant, "admin")).email));
  const engineId = await startReady(c, appId);
  const containerId = await containerOf(engineId);
  expect(await running(containerId)).toBe(true);
  const s = await openSocket(c, appId);
  expect(await s.next((m) => m.type === "hello")).toMatchObject({ appLoaded: true });
  expect(await s.request({ type: "evaluate", id: "t", nodeId: "total" })).toMatchObject({ value: 396 });
  return { c, appId, engineId, containerId, s };
}

beforeAll(async () => {
  const { stdout } = await run("bash", [path.join(root, "scripts/docker-up.sh")], { cwd: root, timeout: 590_000, maxBuffer: 16 << 20 });
  image = stdout.trim().split("\n").at(-1) ?? "";
  expect(image).toMatch(/^atrium\/engine:[0-9a-f]{12}$/);
  portal = await startPortal({ portOffset: 200, env: { ENGINE_DRIVER: "docker", ENGINE_IMAGE: image } });
  t = await makeTenant("dockws");
  admin = await signedIn(t, t.owner.email);
}, 600_000);

afterAll(async () => {
  await portal?.stop();
  const live = await db().engine.findMany({ where: { driver: "docker", status: { in: ["starting", "running"] } }, select: { id: true } });
  await db().engine.updateMany({ where: { id: { in: live.map((e) => e.id) } }, data: { status: "stopped" } });
  // Whatever this file's engines left behind is a failure, but cleaned up first.
  const leftovers = await docker.listContainers({ label: [`${LABELS.installation}=${install}`, `${LABELS.driver}=docker`] });
  for (const c of leftovers) await docker.removeContainer(c.Id);
  await names.removeUnusedNetworks();
  console.log("docker workspace timings (ms):", JSON.stringify(timings));
  await closeDb();
  await closeRedis();
  expect(live.map((e) => e.id)).toEqual([]);
  expect(leftovers.map((c) => c.Names)).toEqual([]);
}, 120_000);

describe("workspaces on the docker driver", () => {
  it("sign-out closes the socket with 4401 and removes the container within 1 s", async () => {
    const { c, engineId, containerId, s } = await workspace(t, admin);
    const info = await docker.inspectContainer(containerId);
    expect(info?.Config.Labels).toMatchObject({ [LABELS.engineId]: engineId, [LABELS.tenant]: t.id, [LABELS.installation]: install });
    const t0 = Date.now();
    await c.signOut();
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.signOutToSocketClosed = closed.at - t0;
    await waitFor(async () => (await docker.inspectContainer(containerId)) === undefined, 3000);
    timings.signOutToContainerGone = Date.now() - t0;
    expect(timings.signOutToSocketClosed).toBeLessThan(1000);
    expect(timings.signOutToContainerGone).toBeLessThan(1500);
    await waitFor(async () => (await db().engine.findUniqueOrThrow({ where: { id: engineId } })).status === "stopped", 3000);
  });

  it("revocation on another portal process (the suite's, process driver) closes the socket and removes the container", async () => {
    const { c, containerId, s } = await workspace(t, admin);
    const me = await c.get<{ session: { id: string } }>("/api/me");
    const t0 = Date.now();
    // `admin` talks to the suite's own portal: a different process from the one holding the socket.
    expect(admin.target).not.toBe(portal.url);
    expect((await admin.call("DELETE", `/api/sessions/${me.body.session.id}`)).status).toBe(200);
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.revokeElsewhereToSocketClosed = closed.at - t0;
    await waitFor(async () => (await docker.inspectContainer(containerId)) === undefined, 3000);
    timings.revokeElsewhereToContainerGone = Date.now() - t0;
    expect(timings.revokeElsewhereToSocketClosed).toBeLessThan(1000);
    expect(timings.revokeElsewhereToContainerGone).toBeLessThan(1500);
  });

  it("an idle workspace ends on time without any request: socket 4401, container removed", async () => {
    const idle = await makeTenant("dockidle");
    const idleAdmin = await signedIn(idle, idle.owner.email);
    expect((await idleAdmin.call("PUT", "/api/policies/session", { maxSessionSeconds: 60, idleTimeoutSeconds: 3 })).status).toBe(200);
    const { containerId, s } = await workspace(idle, idleAdmin);
    const opened = Date.now();
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.idleEnd = closed.at - opened;
    expect(timings.idleEnd).toBeGreaterThan(1500);
    expect(timings.idleEnd).toBeLessThan(5500);
    await waitFor(async () => (await docker.inspectContainer(containerId)) === undefined, 1500);
    timings.idleSocketClosedToContainerGone = Date.now() - closed.at;
  }, 40_000);

  it("an engine of tenant A cannot open a connection to an engine of tenant B; B's network is removed once its engines are gone", async () => {
    const other = await makeTenant("dockiso");
    const otherAdmin = await signedIn(other, other.owner.email);
    const a = await workspace(t, admin);
    const b = await workspace(other, otherAdmin);
    const netA = names.networkName(t.id);
    const netB = names.networkName(other.id);
    const ipB = (await docker.inspectContainer(b.containerId))?.NetworkSettings.Networks?.[netB]?.IPAddress;
    expect(ipB).toBeTruthy();
    expect((await docker.inspectNetwork(netA))?.Internal).toBe(true);
    expect((await docker.inspectNetwork(netB))?.Internal).toBe(true);
    const [aToB, bToB] = await Promise.all([
      probe(docker, { image, installationId: install, network: netA, host: ipB!, port: 8080 }),
      probe(docker, { image, installationId: install, network: netB, host: ipB!, port: 8080 }),
    ]);
    expect(bToB).toBe("connected"); // control: the probe works and B's engine listens
    expect(aToB).toMatch(/^(timeout|error )/);

    // B's only engine stops: the sweeper removes B's network; A's (in use) stays.
    expect((await dockerSide(b.c).call("DELETE", `/api/apps/${b.appId}/engine`)).status).toBe(200);
    expect((await b.s.closed).code).toBe(4404);
    const t0 = Date.now();
    await waitFor(async () => (await docker.inspectNetwork(netB)) === undefined, 8000, 200);
    timings.lastEngineStoppedToNetworkGone = Date.now() - t0;
    expect(await docker.inspectNetwork(netA)).toBeDefined();
    a.s.ws.close();
    expect((await dockerSide(admin).call("DELETE", `/api/engines/${a.engineId}`)).status).toBe(200);
    expect(await docker.inspectContainer(a.containerId)).toBeUndefined();
  }, 60_000);

  it("an admin on a replica of another driver gets a clear refusal, not a leaked container", async () => {
    const { engineId, containerId, s } = await workspace(t, admin);
    const r = await admin.call("DELETE", `/api/engines/${engineId}`);
    expect(r.status).toBe(409);
    expect(r.text).toMatch(/docker driver, which this portal replica does not use/);
    expect(await running(containerId)).toBe(true);
    expect((await dockerSide(admin).call("DELETE", `/api/engines/${engineId}`)).status).toBe(200);
    expect((await s.closed).code).toBe(4404);
    expect(await docker.inspectContainer(containerId)).toBeUndefined();
  });
});
