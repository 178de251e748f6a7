/**
 * `process` driver: every engine is a child process of the portal's host, listening on a
 * loopback port.
 *
 * SECURITY: formulas then run on the portal's host, separated from the OS only by the engine's
 * vm sandbox, and engines of different tenants run as the same OS user. Only container drivers
 * (docker, kubernetes) isolate tenants from each other. The memory limit is a V8 heap cap
 * (--max-old-space-size), i.e. soft; CPU limits are not enforced at all.
 *
 * Bookkeeping lives in a per-installation state directory: `<engineId>.json` (labels, pid,
 * port) and `<engineId>.log` (the engine's stdout/stderr). Engines are started detached, so
 * they survive a portal restart; a new driver instance finds them through list() and checks
 * them by pid (Linux: /proc/<pid>/cmdline must carry the engine's marker arguments, which
 * guards against pid reuse) and by the port's /healthz.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, openSync, closeSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  EngineSpecSchema,
  ENGINE_ID_PATTERN,
  StartError,
  engineLabels,
  type EngineLabels,
  type EngineSpec,
  type EngineState,
  type ListedEngine,
  type Orchestrator,
  type PollResult,
  type ProgressEvent,
  type ProgressListener,
  type StartResult,
} from "./types";

export interface ProcessDriverOptions {
  /** Identifies this portal installation; written into every engine's labels. */
  installationId: string;
  /** Directory for state and log files (created 0700). One per installation. */
  stateDir: string;
  /** Repository root used to find the engine (default: process.cwd()). */
  projectRoot?: string;
  /**
   * Engine entry point. Default: <projectRoot>/engine/dist/engine.mjs when it exists, else
   * <projectRoot>/engine/server.ts run through `node --import tsx`.
   */
  engineEntry?: string;
  /** Loopback address engines listen on (default 127.0.0.1). */
  host?: string;
  /** How long start() waits for the ready line and health check (default 20 s). */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period in stop() (default 5 s). */
  stopGraceMs?: number;
  /** Extra environment for engines (e.g. ENGINE_EVAL_TIMEOUT_MS). Never the portal's env. */
  engineEnv?: Record<string, string>;
}

/** Persisted per engine in <stateDir>/<engineId>.json. Never contains the secret. */
interface EngineRecord {
  driver: "process";
  installationId: string;
  engineId: string;
  pid: number;
  host: string;
  port: number | null;
  startedAt: string;
  labels: EngineLabels;
  exit?: { code: number | null; signal: string | null; at: string };
}

interface Flight {
  listeners: Set<ProgressListener>;
  last?: ProgressEvent;
  promise?: Promise<StartResult>;
}

const MARK_ENGINE = "--atrium-engine-id=";
const MARK_INSTALLATION = "--atrium-installation=";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeExit(code: number | null, signal: string | null): PollResult {
  if (signal) {
    const num = (os.constants.signals as Record<string, number | undefined>)[signal];
    return { status: "failed", reason: `killed by signal ${signal}${num ? ` (exit code ${128 + num})` : ""}` };
  }
  if (code === 0) return { status: "stopped", reason: "exited with code 0" };
  return { status: "failed", reason: `exited with code ${code ?? "unknown"}` };
}

/** GET /healthz on the engine; true on 200 within timeoutMs. */
export function checkHealth(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/healthz", agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

export class ProcessDriver implements Orchestrator {
  readonly name = "process";
  private readonly installationId: string;
  private readonly stateDir: string;
  private readonly projectRoot: string;
  private readonly host: string;
  private readonly startTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly inflight = new Map<string, Flight>();
  private readonly children = new Map<string, { child: ChildProcess; exit?: { code: number | null; signal: string | null } }>();
  private readonly stoppedByUs = new Set<string>();

  constructor(private readonly options: ProcessDriverOptions) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(options.installationId)) throw new Error("installationId must be 1-128 of [A-Za-z0-9._-]");
    this.installationId = options.installationId;
    this.stateDir = path.resolve(options.stateDir);
    this.projectRoot = path.resolve(options.projectRoot ?? process.cwd());
    this.host = options.host ?? "127.0.0.1";
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
  }

  // ------------------------------------------------------------------ start

  start(spec: EngineSpec, onProgress?: ProgressListener): Promise<StartResult> {
    const parsed = EngineSpecSchema.safeParse(spec);
    if (!parsed.success) {
      return Promise.reject(new StartError(`invalid engine spec: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, String(spec?.engineId), "invalid_spec"));
    }
    const id = parsed.data.engineId;
    let flight = this.inflight.get(id);
    if (flight) {
      // Join the start already under way: replay the latest event, then follow along.
      if (onProgress) {
        flight.listeners.add(onProgress);
        if (flight.last) onProgress(flight.last);
      }
      return flight.promise!;
    }
    const f: Flight = { listeners: new Set(onProgress ? [onProgress] : []) };
    flight = f;
    this.inflight.set(id, f);
    const emit = (stage: ProgressEvent["stage"], progress: number, message: string) => {
      const event = { stage, progress, message };
      f.last = event;
      for (const l of f.listeners) {
        try {
          l(event);
        } catch {
          // a listener's failure must not break the start
        }
      }
    };
    f.promise = this.doStart(parsed.data, emit).finally(() => this.inflight.delete(id));
    return f.promise;
  }

  private async doStart(spec: EngineSpec, emit: (s: ProgressEvent["stage"], p: number, m: string) => void): Promise<StartResult> {
    const id = spec.engineId;
    emit("queued", 0, "Engine requested");
    const existing = await this.readRecord(id);
    if (existing) {
      const status = await this.pollRecord(existing);
      if (status.status === "running" && existing.port !== null) {
        emit("ready", 100, "Engine already running");
        return { endpoint: { host: existing.host, port: existing.port }, state: this.toState(existing) };
      }
      // A dead or half-started engine: make sure it is gone before starting afresh.
      await this.terminate(existing.pid, id);
      await this.removeFiles(id);
    }

    emit("creating", 10, "Preparing the engine");
    await fs.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const { command, args } = this.commandFor(spec);
    const logFile = this.logPath(id);
    const logFd = openSync(logFile, "w", 0o600);

    emit("starting", 30, "Starting the engine process");
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: this.projectRoot,
        // Only what the engine needs: never the portal's environment (database URLs, keys…).
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
          NODE_ENV: "production",
          ...this.options.engineEnv,
          ENGINE_PORT: "0",
          ENGINE_HOST: this.host,
          ENGINE_SECRET: spec.secret,
          ENGINE_IDLE_SECONDS: String(spec.idleSeconds),
        },
        stdio: ["ignore", logFd, logFd],
        detached: true, // own process group: survives a portal restart, not hit by its Ctrl-C
      });
    } catch (err) {
      closeSync(logFd);
      emit("failed", 100, "The engine could not be started");
      throw new StartError(`cannot spawn engine: ${err instanceof Error ? err.message : String(err)}`, id, "spawn_failed");
    }
    closeSync(logFd); // the child holds its own copy
    const entry: { child: ChildProcess; exit?: { code: number | null; signal: string | null }; spawnError?: Error } = { child };
    this.children.set(id, entry);
    child.on("error", (err) => {
      entry.spawnError = err;
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) {
      await sleep(0);
      this.children.delete(id);
      emit("failed", 100, "The engine could not be started");
      throw new StartError(`cannot spawn engine: ${entry.spawnError?.message ?? "no pid"}`, id, "spawn_failed");
    }
    const record: EngineRecord = {
      driver: "process",
      installationId: this.installationId,
      engineId: id,
      pid,
      host: this.host,
      port: null,
      startedAt: new Date().toISOString(),
      labels: engineLabels(this.installationId, this.name, spec),
    };
    await this.writeRecord(record);
    child.on("exit", (code, signal) => {
      entry.exit = { code, signal };
      void this.recordExit(id, pid, code, signal);
    });

    emit("waiting_ready", 60, "Waiting for the engine to become ready");
    const deadline = Date.now() + this.startTimeoutMs;
    try {
      const port = await this.waitForReady(logFile, entry, deadline);
      while (!(await checkHealth(this.host, port, 1000))) {
        if (entry.exit) throw this.exitedEarly(id, entry.exit, logFile);
        if (Date.now() > deadline) throw new StartError(`engine ${id} did not pass its health check within ${this.startTimeoutMs} ms`, id, "timeout");
        await sleep(50);
      }
      record.port = port;
      await this.writeRecord(record);
      emit("ready", 100, "Engine ready");
      return { endpoint: { host: this.host, port }, state: this.toState(record) };
    } catch (err) {
      // Never leave a half-started engine behind.
      if (!entry.exit) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      this.stoppedByUs.add(`${id}:${pid}`);
      await this.removeFiles(id, { keepLog: true });
      emit("failed", 100, err instanceof StartError && err.reason === "timeout" ? "The engine did not start in time" : "The engine failed to start");
      throw err;
    }
  }

  private commandFor(spec: EngineSpec): { command: string; args: string[] } {
    let entry = this.options.engineEntry;
    if (!entry) {
      const bundle = path.join(this.projectRoot, "engine", "dist", "engine.mjs");
      entry = existsSync(bundle) ? bundle : path.join(this.projectRoot, "engine", "server.ts");
    }
    const viaTsx = entry.endsWith(".ts");
    return {
      command: process.execPath,
      args: [
        // Soft memory limit: caps the V8 heap, not the process's RSS.
        `--max-old-space-size=${spec.memoryMiB}`,
        "--disallow-code-generation-from-strings",
        ...(viaTsx ? ["--import", "tsx"] : []),
        entry,
        // Marker arguments: identify the process in /proc/<pid>/cmdline (pid-reuse guard).
        `${MARK_ENGINE}${spec.engineId}`,
        `${MARK_INSTALLATION}${this.installationId}`,
      ],
    };
  }

  private async waitForReady(
    logFile: string,
    entry: { exit?: { code: number | null; signal: string | null }; spawnError?: Error },
    deadline: number,
  ): Promise<number> {
    const id = path.basename(logFile, ".log");
    for (;;) {
      const text = await fs.readFile(logFile, "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const ev = JSON.parse(line) as { event?: unknown; port?: unknown };
          if (ev.event === "ready" && typeof ev.port === "number" && Number.isInteger(ev.port) && ev.port > 0) return ev.port;
        } catch {
          // not a JSON line
        }
      }
      if (entry.spawnError) throw new StartError(`cannot spawn engine: ${entry.spawnError.message}`, id, "spawn_failed");
      if (entry.exit) throw this.exitedEarly(id, entry.exit, logFile);
      if (Date.now() > deadline) throw new StartError(`engine ${id} did not become ready within ${this.startTimeoutMs} ms`, id, "timeout");
      await sleep(25);
    }
  }

  private exitedEarly(id: string, exit: { code: number | null; signal: string | null }, logFile: string): StartError {
    const fatal = this.lastEvent(logFile, "fatal");
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return new StartError(`engine ${id} ${how} before becoming ready${fatal?.message ? `: ${String(fatal.message)}` : ""}`, id, "exited");
  }

  // ------------------------------------------------------------------ stop / poll / list

  async stop(state: EngineState): Promise<void> {
    const id = this.engineIdOf(state);
    const flight = this.inflight.get(id);
    if (flight?.promise) await flight.promise.catch(() => undefined);
    const record = await this.readRecord(id);
    const pid = record?.pid ?? (typeof state.pid === "number" ? state.pid : undefined);
    if (pid !== undefined) {
      this.stoppedByUs.add(`${id}:${pid}`);
      await this.terminate(pid, id);
    }
    await this.removeFiles(id);
  }

  async poll(state: EngineState): Promise<PollResult> {
    const id = this.engineIdOf(state);
    const record = await this.readRecord(id);
    if (record) return this.pollRecord(record);
    const pid = typeof state.pid === "number" ? state.pid : undefined;
    if (pid !== undefined && this.isOurs(pid, id)) return { status: "running" };
    return { status: "stopped", reason: pid !== undefined && this.stoppedByUs.has(`${id}:${pid}`) ? "stopped by the orchestrator" : "engine is not running" };
  }

  async list(): Promise<ListedEngine[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.stateDir);
    } catch {
      return [];
    }
    const out: ListedEngine[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(".json")) continue;
      const record = await this.readRecord(name.slice(0, -".json".length));
      if (record && record.installationId === this.installationId) {
        out.push({ engineId: record.engineId, labels: record.labels, state: this.toState(record) });
      }
    }
    return out;
  }

  private async pollRecord(record: EngineRecord, retried = false): Promise<PollResult> {
    const mine = this.children.get(record.engineId);
    const own = mine && mine.child.pid === record.pid ? mine : undefined;
    const alive = this.isOurs(record.pid, record.engineId);
    if (own && !alive && !own.exit) {
      // Our own child just died: its exit status arrives a moment after /proc forgets it.
      for (let i = 0; i < 40 && !own.exit; i++) await sleep(25);
    }
    const exit = own ? own.exit : record.exit;
    if (exit) return this.withShutdownReason(record.engineId, describeExit(exit.code, exit.signal));
    if (alive) {
      if (record.port === null) return { status: "running" }; // still starting
      if (await checkHealth(record.host, record.port, 1000)) return { status: "running" };
      // One retry: a busy engine (a formula using its whole time budget) answers late.
      if (await checkHealth(record.host, record.port, 3000)) return { status: "running" };
      // It may have been dying while we asked (killed, crashing): look again once.
      if (!retried) return this.pollRecord(record, true);
      return { status: "failed", reason: "engine process is alive but does not answer its health check" };
    }
    const gone = this.withShutdownReason(record.engineId, { status: "failed", reason: `engine process ${record.pid} is gone (no exit status recorded)` });
    return gone;
  }

  /** Refine a result with the engine's own last words (idle exit, SIGTERM) from its log. */
  private withShutdownReason(engineId: string, result: PollResult): PollResult {
    const last = this.lastEvent(this.logPath(engineId), "shutdown_");
    if (last?.event === "shutdown_idle") return { status: "stopped", reason: "exited after its idle timeout" };
    if (last?.event === "shutdown_sigterm" || last?.event === "shutdown_sigint") return { status: "stopped", reason: "stopped by signal" };
    return result;
  }

  private lastEvent(logFile: string, prefix: string): Record<string, unknown> | undefined {
    let text: string;
    try {
      text = readFileSync(logFile, "utf8");
    } catch {
      return undefined;
    }
    const lines = text.trimEnd().split("\n").reverse();
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        const ev = JSON.parse(line) as Record<string, unknown>;
        if (typeof ev.event === "string" && ev.event.startsWith(prefix)) return ev;
      } catch {
        // ignore
      }
    }
    return undefined;
  }

  /** SIGTERM, wait up to the grace period, then SIGKILL. Only ever signals our own engine. */
  private async terminate(pid: number, engineId: string): Promise<void> {
    if (!this.isOurs(pid, engineId)) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    const graceEnd = Date.now() + this.stopGraceMs;
    while (Date.now() < graceEnd) {
      if (!this.isOurs(pid, engineId)) return;
      await sleep(25);
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return;
    }
    const killEnd = Date.now() + 5_000;
    while (Date.now() < killEnd && this.isOurs(pid, engineId)) await sleep(25);
  }

  /**
   * Is `pid` alive and our engine? On Linux the marker arguments must be in its cmdline (a
   * reused pid or a zombie fails this); elsewhere we fall back to "the pid is alive".
   */
  private isOurs(pid: number, engineId: string): boolean {
    if (!Number.isInteger(pid) || pid <= 1) return false;
    if (existsSync("/proc/self/cmdline")) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return argv.includes(`${MARK_ENGINE}${engineId}`) && argv.includes(`${MARK_INSTALLATION}${this.installationId}`);
      } catch {
        return false;
      }
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }

  // ------------------------------------------------------------------ files

  private engineIdOf(state: EngineState): string {
    const id = state.engineId;
    if (state.driver !== this.name || typeof id !== "string" || !ENGINE_ID_PATTERN.test(id)) {
      throw new Error("not a process-driver engine state");
    }
    return id;
  }

  private toState(record: EngineRecord): EngineState {
    return {
      driver: "process",
      engineId: record.engineId,
      pid: record.pid,
      host: record.host,
      port: record.port,
      startedAt: record.startedAt,
    };
  }

  private recordPath(id: string): string {
    return path.join(this.stateDir, `${id}.json`);
  }
  private logPath(id: string): string {
    return path.join(this.stateDir, `${id}.log`);
  }

  private async readRecord(id: string): Promise<EngineRecord | undefined> {
    if (!ENGINE_ID_PATTERN.test(id)) return undefined;
    try {
      const r = JSON.parse(await fs.readFile(this.recordPath(id), "utf8")) as EngineRecord;
      if (r.driver !== "process" || r.engineId !== id || typeof r.pid !== "number") return undefined;
      return r;
    } catch {
      return undefined;
    }
  }

  private async writeRecord(record: EngineRecord): Promise<void> {
    const file = this.recordPath(record.engineId);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
    await fs.rename(tmp, file);
  }

  private async recordExit(id: string, pid: number, code: number | null, signal: string | null): Promise<void> {
    const record = await this.readRecord(id);
    if (!record || record.pid !== pid || record.exit || this.stoppedByUs.has(`${id}:${pid}`)) return;
    record.exit = { code, signal, at: new Date().toISOString() };
    // In place, never re-created: another portal process may have stopped this engine and
    // removed its record meanwhile (a rename would bring the record back as a dead "orphan").
    const handle = await fs.open(this.recordPath(id), "r+").catch(() => null);
    if (!handle) return;
    try {
      await handle.truncate(0);
      await handle.write(JSON.stringify(record, null, 2), 0);
    } catch {
      // best effort: poll() also finds a dead engine through /proc
    } finally {
      await handle.close();
    }
  }

  private async removeFiles(id: string, opts: { keepLog?: boolean } = {}): Promise<void> {
    await fs.rm(this.recordPath(id), { force: true });
    if (!opts.keepLog) await fs.rm(this.logPath(id), { force: true });
  }
}
