import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { config, type Config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { redis } from "@/lib/redis";
import { log } from "@/lib/log";
import { endSession, type SessionEndReason, type UserSession } from "@/lib/auth/session-store";
import { currentNodes, findOpenableApp } from "@/lib/apps/manage-apps";
import { AppError, notFound } from "@/lib/http/errors";
import { newEngineSecret, open as openSecret, seal } from "@/lib/security/secret-box";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { EngineState, Orchestrator, ProgressEvent } from "@/lib/orchestrator/types";
import { engineRequest } from "./engine-client";
import {
  APP_ACCESS_CHANNEL,
  USER_ACCESS_CHANNEL,
  ENGINE_ENDED_CHANNEL,
  SESSION_ENDED_CHANNEL,
  publishEngineEnded,
  type AppAccessEvent,
  type EngineEndedEvent,
  type SessionEndedEvent,
  type UserAccessEvent,
} from "./events";
import { ProxyRegistry } from "./proxy";

/**
 * The portal side of engine workspaces (docs/workspaces.md): one engine per (user, app),
 * started through a concurrency-limited queue under per-user and per-group limits, persisted
 * in `engines`, reached only through the authenticated WebSocket proxy, and ended when the
 * session ends (on any replica: Redis pub/sub), when it is too old, or when it dies.
 */

/** Progress shown to the browser; orchestrator stages plus the portal's own `loading_app`. */
export interface StartProgress {
  stage: ProgressEvent["stage"] | "loading_app";
  progress: number;
  message: string;
}
export type StartListener = (e: StartProgress) => void;

/** A start in flight (or finished): subscribe for progress; `done` resolves when ready. */
export interface EngineStart {
  engineId: string;
  subscribe(listener: StartListener): void;
  done: Promise<void>;
}

export type EngineRow = Prisma.EngineGetPayload<object>;

const LIVE = ["starting", "running"] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  get waiting(): number {
    return this.waiters.length;
  }
  async acquire(onWait?: (ahead: number) => void): Promise<() => void> {
    if (this.active >= this.limit) {
      onWait?.(this.waiters.length);
      await new Promise<void>((r) => this.waiters.push(r));
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }
}

interface Flight {
  listeners: Set<StartListener>;
  last?: StartProgress;
  done: Promise<void>;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === "P2002";
}

export class WorkspaceService {
  readonly proxy: ProxyRegistry;
  private readonly c: Config;
  private readonly queue: Semaphore;
  private readonly flights = new Map<string, Flight>();
  private subscriber: Redis | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  private lastPoll = 0;
  /** Driver garbage collection (docker: unused tenant networks): due after an engine ended. */
  private gcDue = true;
  private lastGc = 0;
  private stopped = false;

  constructor(readonly driver: Orchestrator, c: Config = config()) {
    this.c = c;
    this.queue = new Semaphore(c.ENGINE_SPAWN_CONCURRENCY);
    this.proxy = new ProxyRegistry(this, c);
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    await this.reconcile().catch((err: unknown) => log().error({ err }, "engine reconcile failed"));
    const sub = redis().duplicate();
    this.subscriber = sub;
    sub.on("error", (err) => log().warn({ err }, "workspace subscriber error"));
    sub.on("message", (channel: string, message: string) => void this.onMessage(channel, message));
    await sub.subscribe(SESSION_ENDED_CHANNEL, ENGINE_ENDED_CHANNEL, APP_ACCESS_CHANNEL, USER_ACCESS_CHANNEL);
    this.sweeper = setInterval(() => void this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Graceful shutdown: sockets get 1001 (reconnect); engines keep running and are re-attached. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.proxy.closeAll(1001, "portal shutting down");
    await this.subscriber?.quit().catch(() => undefined);
    this.subscriber = null;
  }

  private async onMessage(channel: string, message: string): Promise<void> {
    try {
      const m = JSON.parse(message) as unknown;
      if (channel === SESSION_ENDED_CHANNEL) await this.onSessionEnded(m as SessionEndedEvent);
      else if (channel === ENGINE_ENDED_CHANNEL) {
        const e = m as EngineEndedEvent;
        this.proxy.closeEngine(e.engineId, e.code, e.reason);
      } else if (channel === APP_ACCESS_CHANNEL) await this.proxy.recheckApp(m as AppAccessEvent);
      else if (channel === USER_ACCESS_CHANNEL) await this.proxy.recheckUser(m as UserAccessEvent);
    } catch (err) {
      log().warn({ err, channel }, "bad workspace event");
    }
  }

  /** A session ended somewhere: close its sockets here (4401) and stop the engines started under it. */
  async onSessionEnded(e: SessionEndedEvent): Promise<void> {
    if (!e || typeof e.sessionId !== "string") return;
    this.proxy.closeSession(e.sessionId, 4401, "session ended");
    // Each replica stops only engines of its own driver (a mixed set of replicas on one database,
    // e.g. the test suite's, must not hand a container's state to the process driver).
    const engines = await db().engine.findMany({ where: { sessionId: e.sessionId, status: { in: [...LIVE] }, driver: this.driver.name }, select: { id: true } });
    await Promise.all(engines.map((en) => this.stopEngine(en.id, `session ended (${e.reason})`, 4401)));
  }

  // ------------------------------------------------------------------ starting

  /**
   * The caller's engine of this app: the running one, the one being started (by this or
   * another replica, or another tab), or a new one. Refusals (404, 429) are thrown before
   * anything starts, so the route can answer them as JSON.
   */
  async startEngine(user: UserSession, appId: string): Promise<EngineStart> {
    const app = await findOpenableApp({ tenantId: user.tenantId, userId: user.userId, role: user.role }, appId);
    if (!app) throw notFound("app");
    for (let attempt = 0; attempt < 50; attempt++) {
      const live = await db().engine.findFirst({ where: { tenantId: user.tenantId, userId: user.userId, appId, status: { in: [...LIVE] } } });
      if (live?.status === "running") return this.readyStart(live.id);
      if (live) {
        const flight = this.flights.get(live.id);
        if (flight) return this.flightStart(live.id, flight);
        return this.remoteStart(live.id);
      }
      await this.checkLimits(user);
      const secret = newEngineSecret();
      let row: EngineRow;
      try {
        row = await db().engine.create({
          data: { id: randomBytes(16).toString("hex"), tenantId: user.tenantId, userId: user.userId, appId, sessionId: user.sessionId, driver: this.driver.name, status: "starting", secretEnc: seal(secret) },
        });
      } catch (err) {
        if (isUniqueViolation(err)) continue; // another tab or replica won the race: join its start
        throw err;
      }
      const flight = this.launch(row, secret, user);
      return this.flightStart(row.id, flight);
    }
    throw new AppError(409, "conflict", "The engine is changing state; try again.");
  }

  private readyStart(engineId: string): EngineStart {
    return { engineId, subscribe: (l) => l({ stage: "ready", progress: 100, message: "Engine already running" }), done: Promise.resolve() };
  }

  private flightStart(engineId: string, flight: Flight): EngineStart {
    return {
      engineId,
      subscribe: (l) => {
        flight.listeners.add(l);
        if (flight.last) l(flight.last);
      },
      done: flight.done,
    };
  }

  /** Started by another replica: follow its record until it is running (or not). */
  private remoteStart(engineId: string): EngineStart {
    const listeners = new Set<StartListener>();
    const emit = (e: StartProgress) => listeners.forEach((l) => l(e));
    const done = (async () => {
      emit({ stage: "starting", progress: 30, message: "The engine is being started" });
      const deadline = Date.now() + (this.c.ENGINE_START_TIMEOUT_SECONDS + 15) * 1000;
      while (Date.now() < deadline) {
        const r = await db().engine.findUnique({ where: { id: engineId }, select: { status: true, failureReason: true } });
        if (r?.status === "running") return emit({ stage: "ready", progress: 100, message: "Engine ready" });
        if (!r || r.status !== "starting") throw new Error(r?.failureReason ?? "The engine failed to start.");
        await sleep(100);
      }
      throw new Error("The engine did not start in time.");
    })();
    return { engineId, subscribe: (l) => listeners.add(l), done };
  }

  private async checkLimits(user: UserSession): Promise<void> {
    const mine = await db().engine.count({ where: { tenantId: user.tenantId, userId: user.userId, status: { in: [...LIVE] } } });
    if (mine >= this.c.ENGINES_PER_USER) {
      throw new AppError(429, "engine_limit", `You already have ${mine} engines running (the limit is ${this.c.ENGINES_PER_USER}). Close an app before opening another.`);
    }
    const groups = await db().groupMember.findMany({ where: { tenantId: user.tenantId, userId: user.userId }, select: { groupId: true } });
    if (groups.length) {
      const inGroups = await db().engine.count({
        where: { tenantId: user.tenantId, status: { in: [...LIVE] }, user: { memberships: { some: { groupId: { in: groups.map((g) => g.groupId) } } } } },
      });
      if (inGroups >= this.c.ENGINES_PER_GROUP) {
        throw new AppError(429, "engine_limit", `Your groups already run ${inGroups} engines (the limit is ${this.c.ENGINES_PER_GROUP}). Try again when a colleague closes one.`);
      }
    }
  }

  private async resources(user: UserSession): Promise<{ cpuMillis: number; memoryMiB: number }> {
    const groups = await db().group.findMany({ where: { tenantId: user.tenantId, members: { some: { userId: user.userId } } }, select: { cpuMillis: true, memoryMiB: true } });
    if (!groups.length) return { cpuMillis: 1000, memoryMiB: 1024 };
    return { cpuMillis: Math.max(...groups.map((g) => g.cpuMillis)), memoryMiB: Math.max(...groups.map((g) => g.memoryMiB)) };
  }

  private launch(row: EngineRow, secret: string, user: UserSession): Flight {
    const flight: Flight = { listeners: new Set(), done: Promise.resolve() };
    let top = 0;
    const emit = (e: StartProgress) => {
      const event = { ...e, progress: Math.max(top, e.progress) };
      top = event.progress;
      flight.last = event;
      for (const l of flight.listeners) {
        try {
          l(event);
        } catch {
          // a listener's failure must not break the start
        }
      }
    };
    flight.done = this.runStart(row, secret, user, emit).finally(() => this.flights.delete(row.id));
    flight.done.catch(() => undefined);
    this.flights.set(row.id, flight);
    return flight;
  }

  private async runStart(row: EngineRow, secret: string, user: UserSession, emit: StartListener): Promise<void> {
    emit({ stage: "queued", progress: 0, message: "Engine requested" });
    const release = await this.queue.acquire((ahead) => emit({ stage: "queued", progress: 0, message: `Waiting for a free start slot (${ahead + 1} ahead)` }));
    let state: EngineState | null = null;
    try {
      const res = await this.driver_start(row, secret, user, emit);
      state = res.state;
      // Load the app's current version so the browser's first hello says appLoaded: true.
      emit({ stage: "loading_app", progress: 90, message: "Loading the app" });
      const nodes = await currentNodes(row.tenantId, row.appId);
      await engineRequest({ ...res.endpoint, secret }, { type: "load_app", id: "portal-load", nodes }, 10_000).catch((err: unknown) => {
        throw new Error(`The app could not be loaded into the engine: ${err instanceof Error ? err.message : String(err)}`);
      });
      const { count } = await db().engine.updateMany({
        where: { id: row.id, status: "starting" },
        data: { status: "running", state: res.state as Prisma.InputJsonValue, endpointHost: res.endpoint.host, endpointPort: res.endpoint.port, lastActivityAt: new Date() },
      });
      if (count === 0) {
        // Stopped while starting (sign-out, admin): do not leave it running.
        await this.driver.stop(res.state).catch(() => undefined);
        throw new Error("The engine was stopped while it was starting.");
      }
      emit({ stage: "ready", progress: 100, message: "Engine ready" });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (state) await this.driver.stop(state).catch(() => undefined);
      await db().engine.updateMany({ where: { id: row.id, status: { in: ["starting", "stopping"] } }, data: { status: "failed", failureReason: message.slice(0, 500), stoppedAt: new Date() } });
      emit({ stage: "failed", progress: 100, message });
      throw err;
    } finally {
      release();
    }
  }

  private async driver_start(row: EngineRow, secret: string, user: UserSession, emit: StartListener) {
    const { cpuMillis, memoryMiB } = await this.resources(user);
    const spec = { engineId: row.id, tenantId: row.tenantId, userId: row.userId, appId: row.appId, cpuMillis, memoryMiB, secret, idleSeconds: this.c.ENGINE_IDLE_SECONDS };
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.c.ENGINE_START_TIMEOUT_SECONDS * 1000;
    const started = this.driver.start(spec, (e) => {
      // The driver's own "ready" is not ours yet: the app still has to be loaded.
      if (e.stage === "ready") emit({ stage: "waiting_ready", progress: 80, message: "Engine process ready" });
      else if (e.stage !== "failed") emit(e);
    });
    try {
      return await Promise.race([
        started,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`The engine did not start within ${this.c.ENGINE_START_TIMEOUT_SECONDS} seconds.`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      // A late success after our timeout must not leave an engine behind.
      started.then((r) => this.driver.stop(r.state)).catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------------------------------ stopping

  /**
   * Stops an engine (idempotent; on any replica). Sockets to it are closed with `code`
   * everywhere (pub/sub) before the process is stopped.
   */
  async stopEngine(engineId: string, reason: string, code: 4401 | 4404 | 4500 = 4404): Promise<boolean> {
    const row = await db().engine.findUnique({ where: { id: engineId } });
    if (!row) return false;
    if (row.driver !== this.driver.name) {
      throw new AppError(409, "engine_driver_mismatch", `This engine runs under the ${row.driver} driver, which this portal replica does not use; stop it from a replica that does.`);
    }
    const { count } = await db().engine.updateMany({ where: { id: engineId, status: { in: [...LIVE] } }, data: { status: "stopping" } });
    if (count === 0) return false;
    this.proxy.closeEngine(engineId, code, reason);
    if (code !== 4401) await publishEngineEnded({ engineId, code: code === 4500 ? 4500 : 4404, reason }).catch(() => undefined);
    const state = row.state as EngineState | null;
    if (state && typeof state === "object" && state.driver) {
      await this.driver.stop(state).catch((err: unknown) => log().warn({ err, engineId }, "engine stop failed"));
    }
    await db().engine.update({ where: { id: engineId }, data: { status: "stopped", stoppedAt: new Date(), failureReason: reason.slice(0, 500) } });
    this.gcDue = true;
    return true;
  }

  /** An engine died: mark it failed and close its sockets with 4500 everywhere. */
  async markFailed(engineId: string, reason: string): Promise<boolean> {
    const { count } = await db().engine.updateMany({ where: { id: engineId, status: { in: [...LIVE] } }, data: { status: "failed", failureReason: reason.slice(0, 500), stoppedAt: new Date() } });
    this.proxy.closeEngine(engineId, 4500, reason);
    if (count) {
      await publishEngineEnded({ engineId, code: 4500, reason }).catch(() => undefined);
      const row = await db().engine.findUnique({ where: { id: engineId }, select: { state: true, driver: true } });
      const state = row?.state as EngineState | null;
      if (state?.driver && row?.driver === this.driver.name) await this.driver.stop(state).catch(() => undefined); // release its resources
      this.gcDue = true;
    }
    return count > 0;
  }

  /** The caller's own engine of this app (DELETE /api/apps/:id/engine). */
  async stopOwnEngine(user: UserSession, appId: string): Promise<void> {
    const app = await findOpenableApp({ tenantId: user.tenantId, userId: user.userId, role: user.role }, appId);
    if (!app) throw notFound("app");
    const live = await db().engine.findMany({ where: { tenantId: user.tenantId, userId: user.userId, appId, status: { in: [...LIVE] } }, select: { id: true } });
    for (const e of live) await this.stopEngine(e.id, "stopped by its user", 4404);
  }

  /** The live engine record the proxy may connect to (the caller's own, running), with its secret. */
  async target(user: { tenantId: string; userId: string }, appId: string): Promise<{ row: EngineRow; secret: string } | null> {
    const row = await db().engine.findFirst({ where: { tenantId: user.tenantId, userId: user.userId, appId, status: "running" } });
    if (!row || !row.endpointHost || !row.endpointPort) return null;
    return { row, secret: openSecret(row.secretEnc) };
  }

  // ------------------------------------------------------------------ admin list

  async listEngines(tenantId: string) {
    const rows = await db().engine.findMany({
      where: { tenantId, status: { in: [...LIVE] } },
      include: { user: { select: { id: true, email: true } }, app: { select: { id: true, name: true } } },
      orderBy: { startedAt: "asc" },
    });
    const now = Date.now();
    return Promise.all(
      rows.map(async (r) => {
        let cpuPercent: number | null = null;
        let memoryBytes: number | null = null;
        if (r.status === "running" && r.endpointHost && r.endpointPort) {
          try {
            const reply = await engineRequest<{ stats?: { cpuPercent?: number; rssBytes?: number } }>(
              { host: r.endpointHost, port: r.endpointPort, secret: openSecret(r.secretEnc) },
              { type: "get_stats", id: "portal-stats" },
              1500,
            );
            cpuPercent = typeof reply.stats?.cpuPercent === "number" ? reply.stats.cpuPercent : null;
            memoryBytes = typeof reply.stats?.rssBytes === "number" ? reply.stats.rssBytes : null;
          } catch {
            // best effort: an engine busy with a long formula answers late
          }
        }
        return {
          id: r.id,
          user: r.user,
          app: r.app,
          status: r.status,
          startedAt: r.startedAt.toISOString(),
          ageSeconds: Math.floor((now - r.startedAt.getTime()) / 1000),
          cpuPercent,
          memoryBytes,
        };
      }),
    );
  }

  // ------------------------------------------------------------------ sweeper

  /** Every second: end expired sessions, cull old engines, fail dead ones, drop stale starts. */
  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      await this.endExpiredSessions();
      const maxAgeCut = new Date(Date.now() - this.c.ENGINE_MAX_AGE_SECONDS * 1000);
      const old = await db().engine.findMany({ where: { status: { in: [...LIVE] }, startedAt: { lt: maxAgeCut }, driver: this.driver.name }, select: { id: true } });
      for (const e of old) await this.stopEngine(e.id, "reached its maximum age", 4404);
      // Starts in flight here (queued or starting) say so every second: another replica's sweeper
      // must not take a long wait in the spawn queue for a start abandoned by a dead replica.
      if (this.flights.size) await db().engine.updateMany({ where: { id: { in: [...this.flights.keys()] }, status: "starting" }, data: { lastActivityAt: new Date() } });
      const staleCut = new Date(Date.now() - (this.c.ENGINE_START_TIMEOUT_SECONDS + 30) * 1000);
      const stale = await db().engine.findMany({ where: { status: "starting", lastActivityAt: { lt: staleCut }, driver: this.driver.name }, select: { id: true } });
      for (const e of stale) if (!this.flights.has(e.id)) await this.markFailed(e.id, "the start was abandoned");
      if (Date.now() - this.lastPoll >= 2000) {
        this.lastPoll = Date.now();
        await this.pollRunning();
      }
      await this.collectGarbage();
    } catch (err) {
      log().warn({ err }, "workspace sweep failed");
    } finally {
      this.sweeping = false;
    }
  }

  /** Soon (≥ 2 s apart) after an engine ended, and once a minute anyway. */
  private async collectGarbage(force = false): Promise<void> {
    if (!this.driver.collectGarbage) return;
    const since = Date.now() - this.lastGc;
    if (!force && !(this.gcDue && since >= 2000) && since < 60_000) return;
    this.gcDue = false;
    this.lastGc = Date.now();
    const removed = await this.driver.collectGarbage().catch((err: unknown) => {
      log().warn({ err }, "driver garbage collection failed");
      return [] as string[];
    });
    if (removed.length) log().info({ removed }, "removed unused engine resources");
  }

  private async endExpiredSessions(): Promise<void> {
    const rows = await db().$queryRaw<{ id: string; reason: SessionEndReason }[]>`
      SELECT s.id, CASE WHEN s.expires_at <= now() THEN 'expired_absolute' ELSE 'expired_idle' END AS reason
      FROM sessions s LEFT JOIN tenants t ON t.id = s.tenant_id
      WHERE s.revoked_at IS NULL
        AND (s.expires_at <= now()
             OR s.last_seen_at + make_interval(secs => COALESCE(t.session_idle_seconds, ${this.c.OPERATOR_SESSION_IDLE_SECONDS})) <= now())
      LIMIT 500`;
    for (const r of rows) await endSession(r.id, r.reason);
  }

  private async pollRunning(): Promise<void> {
    const running = await db().engine.findMany({ where: { status: "running", driver: this.driver.name }, select: { id: true, state: true } });
    await Promise.all(
      running.map(async (r) => {
        const result = await this.driver.poll(r.state as EngineState).catch((err: unknown) => ({ status: "failed" as const, reason: String(err) }));
        if (result.status === "running") return;
        await this.markFailed(r.id, result.reason ?? "the engine stopped");
      }),
    );
  }

  // ------------------------------------------------------------------ reconcile

  /**
   * After a (re)start of the portal: running records whose engine still runs are kept (the
   * proxy connects from the record), the others are marked failed; engines the driver lists
   * without a live record are orphans and are stopped. `where` narrows the records (tests).
   */
  async reconcile(where: Prisma.EngineWhereInput = {}): Promise<{ reattached: string[]; failed: string[]; orphansStopped: string[] }> {
    const out = { reattached: [] as string[], failed: [] as string[], orphansStopped: [] as string[] };
    const running = await db().engine.findMany({ where: { ...where, status: "running", driver: this.driver.name } });
    for (const r of running) {
      const result = await this.driver.poll(r.state as EngineState).catch((err: unknown) => ({ status: "failed" as const, reason: String(err) }));
      if (result.status === "running") out.reattached.push(r.id);
      else {
        await db().engine.updateMany({ where: { id: r.id, status: "running" }, data: { status: "failed", failureReason: `not running after a portal restart: ${result.reason ?? ""}`.slice(0, 500), stoppedAt: new Date() } });
        out.failed.push(r.id);
      }
    }
    const listed = await this.driver.list();
    if (listed.length) {
      const live = new Set((await db().engine.findMany({ where: { id: { in: listed.map((l) => l.engineId) }, status: { in: [...LIVE] } }, select: { id: true } })).map((r) => r.id));
      for (const l of listed) {
        if (live.has(l.engineId)) continue;
        await this.driver.stop(l.state).catch((err: unknown) => log().warn({ err, engineId: l.engineId }, "could not stop an orphan engine"));
        out.orphansStopped.push(l.engineId);
      }
    }
    if (out.failed.length || out.orphansStopped.length) log().info(out, "engines reconciled");
    await this.collectGarbage(true);
    return out;
  }
}
