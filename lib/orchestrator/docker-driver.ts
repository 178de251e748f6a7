/**
 * `docker` driver: every engine is a container (`atrium-<installation>-<engineId>`) of the
 * locally built engine image (scripts/build-engine-image.sh), talking to the Docker Engine API
 * over its unix socket (./docker/client.ts).
 *
 * Isolation:
 *  - one bridge network per tenant (`atrium-<installation>-t-<tenant>`): Docker drops traffic
 *    between different bridge networks, so an engine can never open a connection to an engine
 *    of another tenant (tests/integration/orchestrator/docker-driver.test.ts proves it);
 *  - the tenant networks are `internal`: Docker drops everything an engine sends off the host
 *    (no route out to the internet or the LAN). Services listening on the host's own
 *    addresses stay reachable from engines (that traffic is the host's INPUT, not forwarded):
 *    bind the portal's databases to loopback, as the project's scripts do;
 *  - hard CPU / memory / pids limits, read-only root file system (+ a small tmpfs /tmp), all
 *    capabilities dropped, no-new-privileges, unprivileged user 10001;
 *  - no port is published: the portal connects to the engine's address on its tenant network
 *    (the host has an address on every bridge network, internal ones included), so the portal
 *    must run on the Docker host (or be attached to the tenant networks).
 *
 * The engine's secret is handed over in the container's environment (ENGINE_SECRET). The
 * engine deletes it from its own process environment, but it stays visible to `docker inspect`,
 * i.e. to whoever can use the Docker socket — host root, who owns everything anyway. The
 * driver's state never contains it.
 *
 * No bookkeeping files: everything is read back from Docker (labels, inspect), so a new portal
 * process finds its engines through list() after a restart.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { DockerApiError, DockerClient, DockerUnavailableError, type ContainerInspect, type DockerClientOptions, type NetworkInspect } from "./docker/client";
import { checkHealth } from "./process-driver";
import {
  EngineSpecSchema,
  ENGINE_ID_PATTERN,
  LABELS,
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

export interface DockerDriverOptions {
  /** Identifies this portal installation; in every container's and network's labels. */
  installationId: string;
  /** Engine image when the spec names none (default atrium/engine:latest). */
  image?: string;
  /** Docker API connection (socket path, API version, request timeout). */
  docker?: DockerClientOptions;
  /** The port the engine listens on inside its container (default 8080). */
  containerPort?: number;
  /** How long start() may take in total, create to healthy (default 30 s). */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period in stop() (default 5 s). */
  stopGraceSeconds?: number;
  /** Max processes/threads per engine (default 256). */
  pidsLimit?: number;
  /** Size of the tmpfs mounted at /tmp (default 16 MiB, counts against the memory limit). */
  tmpfsMiB?: number;
  /**
   * V8 heap cap as a fraction of the memory limit (default 0.75), so that a formula that fills
   * the heap fails inside V8 before the kernel's OOM killer has to step in.
   */
  heapFraction?: number;
  /** Extra environment for engines (e.g. ENGINE_EVAL_TIMEOUT_MS). Never the portal's env. */
  engineEnv?: Record<string, string>;
  /** Override the image's entrypoint (custom images, tests). */
  entrypoint?: string[];
}

interface Flight {
  listeners: Set<ProgressListener>;
  last?: ProgressEvent;
  promise?: Promise<StartResult>;
}

type Emit = (stage: ProgressEvent["stage"], progress: number, message: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME_SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Label on tenant networks (containers carry LABELS.engineId instead). */
export const NETWORK_ROLE_LABEL = "atrium.role";

/** A Docker-safe name part for an arbitrary id; ids that need changing get a hash suffix. */
export function dockerNamePart(id: string): string {
  if (NAME_SAFE.test(id)) return id;
  const cleaned = id.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z0-9]+/, "").slice(0, 40);
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 12);
  return `${cleaned || "x"}-${hash}`;
}

function signalName(num: number): string | undefined {
  for (const [name, n] of Object.entries(os.constants.signals)) if (n === num) return name;
  return undefined;
}

export class DockerDriver implements Orchestrator {
  readonly name = "docker";
  readonly docker: DockerClient;
  private readonly installationId: string;
  private readonly image: string;
  private readonly containerPort: number;
  private readonly startTimeoutMs: number;
  private readonly stopGraceSeconds: number;
  private readonly inflight = new Map<string, Flight>();
  private readonly networkFlights = new Map<string, Promise<string>>();
  /** Tenant networks a start of this process is about to attach a container to. */
  private readonly networkUsers = new Map<string, number>();

  constructor(private readonly options: DockerDriverOptions) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(options.installationId)) throw new Error("installationId must be 1-128 of [A-Za-z0-9._-], starting with a letter or digit");
    this.installationId = options.installationId;
    this.docker = new DockerClient(options.docker);
    this.image = options.image ?? "atrium/engine:latest";
    this.containerPort = options.containerPort ?? 8080;
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.stopGraceSeconds = options.stopGraceSeconds ?? 5;
  }

  containerName(engineId: string): string {
    return `atrium-${this.installationId}-${engineId}`;
  }

  networkName(tenantId: string): string {
    return `atrium-${this.installationId}-t-${dockerNamePart(tenantId)}`;
  }

  // ------------------------------------------------------------------ start

  start(spec: EngineSpec, onProgress?: ProgressListener): Promise<StartResult> {
    const parsed = EngineSpecSchema.safeParse(spec);
    if (!parsed.success) {
      return Promise.reject(new StartError(`invalid engine spec: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, String(spec?.engineId), "invalid_spec"));
    }
    const id = parsed.data.engineId;
    const existing = this.inflight.get(id);
    if (existing?.promise) {
      // Join the start already under way: replay the latest event, then follow along.
      if (onProgress) {
        existing.listeners.add(onProgress);
        if (existing.last) onProgress(existing.last);
      }
      return existing.promise;
    }
    const f: Flight = { listeners: new Set(onProgress ? [onProgress] : []) };
    this.inflight.set(id, f);
    const emit: Emit = (stage, progress, message) => {
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
    f.promise = this.doStart(parsed.data, emit)
      .catch((err: unknown) => {
        emit("failed", 100, err instanceof StartError && err.reason === "timeout" ? "The engine did not start in time" : "The engine failed to start");
        throw err;
      })
      .finally(() => this.inflight.delete(id));
    return f.promise;
  }

  private async doStart(spec: EngineSpec, emit: Emit): Promise<StartResult> {
    const id = spec.engineId;
    const deadline = Date.now() + this.startTimeoutMs;
    emit("queued", 0, "Engine requested");
    try {
      for (let attempt = 0; ; attempt++) {
        const name = this.containerName(id);
        const existing = await this.docker.inspectContainer(name);
        if (existing) {
          if (existing.State.Running && !existing.State.Paused) {
            // Started earlier (or by another portal process): re-attach once it is healthy.
            emit("waiting_ready", 60, "Engine already running; checking it");
            try {
              const ready = await this.waitHealthy(existing.Id, id, deadline);
              emit("ready", 100, "Engine ready");
              return ready;
            } catch (err) {
              // Running but never healthy within the whole start budget: it is broken.
              if (err instanceof StartError && err.reason === "timeout") await this.docker.removeContainer(existing.Id).catch(() => undefined);
              throw err;
            }
          }
          // A leftover (exited, dead, never started): remove it and start afresh.
          await this.docker.removeContainer(existing.Id);
        }

        emit("creating", 10, "Creating the engine container");
        const netName = this.networkName(spec.tenantId);
        // Until the container runs (and so holds the network), removeUnusedNetworks leaves it alone.
        this.networkUsers.set(netName, (this.networkUsers.get(netName) ?? 0) + 1);
        let containerId: string;
        try {
          const network = await this.ensureNetwork(spec.tenantId);
          try {
            containerId = (await this.docker.createContainer(name, this.containerConfig(spec, network))).Id;
          } catch (err) {
            // 409: another portal process created it at the same moment; adopt it (once).
            if (err instanceof DockerApiError && err.status === 409 && attempt === 0) continue;
            if (err instanceof DockerApiError && err.status === 404 && /image/i.test(err.message)) {
              throw new StartError(`engine image ${spec.image ?? this.image} not found: build it with scripts/build-engine-image.sh`, id, "spawn_failed");
            }
            // The network was removed meanwhile (another replica's clean-up): create it again.
            if (err instanceof DockerApiError && err.status === 404 && /network/i.test(err.message) && attempt < 2) continue;
            throw err;
          }

          emit("starting", 30, "Starting the engine container");
          try {
            await this.docker.startContainer(containerId);
          } catch (err) {
            await this.docker.removeContainer(containerId).catch(() => undefined);
            if (err instanceof DockerApiError && err.status === 404 && /network/i.test(err.message) && attempt < 2) continue;
            throw new StartError(`cannot start engine container: ${err instanceof Error ? err.message : String(err)}`, id, "spawn_failed");
          }
        } finally {
          const n = (this.networkUsers.get(netName) ?? 1) - 1;
          if (n > 0) this.networkUsers.set(netName, n);
          else this.networkUsers.delete(netName);
        }

        emit("waiting_ready", 60, "Waiting for the engine to become ready");
        try {
          const ready = await this.waitHealthy(containerId, id, deadline);
          emit("ready", 100, "Engine ready");
          return ready;
        } catch (err) {
          // Never leave a half-started engine behind.
          await this.docker.removeContainer(containerId).catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof StartError) throw err;
      if (err instanceof DockerUnavailableError) throw new StartError(err.message, id, "spawn_failed");
      throw new StartError(`cannot start engine: ${err instanceof Error ? err.message : String(err)}`, id, "spawn_failed");
    }
  }

  /** Wait until the container's published port answers /healthz; resolve with its state. */
  private async waitHealthy(containerId: string, engineId: string, deadline: number): Promise<StartResult> {
    for (;;) {
      const info = await this.docker.inspectContainer(containerId);
      if (!info) throw new StartError(`engine ${engineId}: its container disappeared while starting`, engineId, "exited");
      if (!info.State.Running) {
        const why = await this.describeExit(info);
        const reason = why.status === "running" ? "stopped" : why.reason;
        throw new StartError(`engine ${engineId} ${reason} before becoming ready`, engineId, "exited");
      }
      const ep = this.endpointOf(info);
      if (ep && (await checkHealth(ep.host, ep.port, 1000))) {
        return { endpoint: ep, state: this.toState(info) };
      }
      if (Date.now() > deadline) {
        throw new StartError(`engine ${engineId} did not become ready within ${this.startTimeoutMs} ms`, engineId, "timeout");
      }
      await sleep(50);
    }
  }

  private containerConfig(spec: EngineSpec, network: string): Record<string, unknown> {
    const heapMiB = Math.max(16, Math.floor(spec.memoryMiB * (this.options.heapFraction ?? 0.75)));
    const env: Record<string, string> = {
      NODE_ENV: "production",
      ...this.options.engineEnv,
      NODE_OPTIONS: `--max-old-space-size=${heapMiB}`,
      ENGINE_HOST: "0.0.0.0",
      ENGINE_PORT: String(this.containerPort),
      ENGINE_IDLE_SECONDS: String(spec.idleSeconds),
      ENGINE_SECRET: spec.secret,
    };
    const portKey = `${this.containerPort}/tcp`;
    const memoryBytes = spec.memoryMiB * 1024 * 1024;
    return {
      Image: spec.image ?? this.image,
      ...(this.options.entrypoint ? { Entrypoint: this.options.entrypoint } : {}),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: engineLabels(this.installationId, this.name, spec),
      User: "10001:10001",
      ExposedPorts: { [portKey]: {} },
      StopTimeout: this.stopGraceSeconds,
      HostConfig: {
        NanoCpus: spec.cpuMillis * 1_000_000,
        Memory: memoryBytes,
        MemorySwap: memoryBytes, // no swap on top of the limit
        PidsLimit: this.options.pidsLimit ?? 256,
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": `rw,noexec,nosuid,nodev,size=${this.options.tmpfsMiB ?? 16}m,mode=1777` },
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges:true"],
        Privileged: false,
        AutoRemove: false, // poll() needs the exit code / OOM flag of a dead engine
        RestartPolicy: { Name: "no" },
        NetworkMode: network,
        Ulimits: [{ Name: "nofile", Soft: 4096, Hard: 4096 }],
        LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "2" } },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: {} } },
    };
  }

  /** The tenant's network, created on demand (labelled; concurrent callers share one create). */
  private ensureNetwork(tenantId: string): Promise<string> {
    const name = this.networkName(tenantId);
    let flight = this.networkFlights.get(name);
    if (!flight) {
      flight = this.createNetworkIfMissing(name, tenantId).finally(() => this.networkFlights.delete(name));
      this.networkFlights.set(name, flight);
    }
    return flight;
  }

  private async createNetworkIfMissing(name: string, tenantId: string): Promise<string> {
    const check = (net: NetworkInspect): string => {
      const labels = net.Labels ?? {};
      if (net.Name !== name || labels[LABELS.installation] !== this.installationId || labels[LABELS.tenant] !== tenantId) {
        throw new StartError(`docker network ${name} exists but does not belong to this tenant of this installation; refusing to use it`, "", "spawn_failed");
      }
      return net.Name;
    };
    const found = await this.docker.inspectNetwork(name);
    // A network made by an older version (not internal) is replaced once nothing uses it.
    if (found && (found.Internal || !(await this.docker.removeNetwork(found.Id)))) return check(found);
    try {
      await this.docker.createNetwork({
        Name: name,
        CheckDuplicate: true,
        Driver: "bridge",
        Internal: true, // no route off the host; the portal reaches engines on the bridge
        Attachable: false,
        EnableIPv6: false,
        Labels: {
          [LABELS.installation]: this.installationId,
          [LABELS.driver]: this.name,
          [LABELS.tenant]: tenantId,
          [NETWORK_ROLE_LABEL]: "tenant-network",
        },
        Options: { "com.docker.network.bridge.enable_icc": "true" },
      });
    } catch (err) {
      // 409: created concurrently by another portal process.
      if (!(err instanceof DockerApiError && err.status === 409)) throw err;
    }
    const created = await this.docker.inspectNetwork(name);
    if (!created) throw new StartError(`docker network ${name} vanished right after it was created`, "", "spawn_failed");
    return check(created);
  }

  /**
   * Remove this installation's tenant networks that no container uses any more. Not done in
   * stop() (a concurrent start of the same tenant may be about to use the network); the
   * portal's sweeper calls it (collectGarbage) after engines stopped and periodically. Starts
   * of this process in progress keep their network; a start on another replica whose network
   * vanishes under it creates it again. Returns the names removed.
   */
  async removeUnusedNetworks(): Promise<string[]> {
    const removed: string[] = [];
    const nets = await this.docker.listNetworks({ label: [`${LABELS.installation}=${this.installationId}`, `${NETWORK_ROLE_LABEL}=tenant-network`] });
    for (const n of nets) {
      if (this.networkFlights.has(n.Name) || this.networkUsers.has(n.Name)) continue;
      const full = await this.docker.inspectNetwork(n.Id);
      if (!full || Object.keys(full.Containers ?? {}).length > 0) continue;
      const attached = await this.docker.listContainers({ network: [n.Id] });
      if (attached.length > 0) continue;
      if (await this.docker.removeNetwork(n.Id)) removed.push(n.Name);
    }
    return removed;
  }

  /** Orchestrator.collectGarbage: the tenant networks nothing uses any more. */
  collectGarbage(): Promise<string[]> {
    return this.removeUnusedNetworks();
  }

  // ------------------------------------------------------------------ stop / poll / list / stats

  async stop(state: EngineState): Promise<void> {
    const { engineId, containerId } = this.parseState(state);
    const flight = this.inflight.get(engineId);
    if (flight?.promise) await flight.promise.catch(() => undefined);
    await this.docker.stopContainer(containerId, this.stopGraceSeconds);
    await this.docker.removeContainer(containerId);
  }

  async poll(state: EngineState): Promise<PollResult> {
    const { containerId } = this.parseState(state);
    return this.pollContainer(containerId);
  }

  private async pollContainer(containerId: string, retried = false): Promise<PollResult> {
    const info = await this.docker.inspectContainer(containerId);
    if (!info) return { status: "stopped", reason: "engine container no longer exists" };
    const s = info.State;
    if (s.Running && s.Paused) return { status: "failed", reason: "engine container is paused" };
    if (s.Running && !s.Restarting) {
      const ep = this.endpointOf(info);
      if (ep) {
        if (await checkHealth(ep.host, ep.port, 1000)) return { status: "running" };
        // One retry: a busy engine (a formula using its whole time budget) answers late.
        if (await checkHealth(ep.host, ep.port, 3000)) return { status: "running" };
      }
      // Still starting?
      const startedAt = Date.parse(s.StartedAt);
      if (Number.isFinite(startedAt) && Date.now() - startedAt < this.startTimeoutMs) return { status: "running" };
      // It may have been dying while we asked (killed, OOM): look again once.
      if (!retried) return this.pollContainer(containerId, true);
      return { status: "failed", reason: "engine container is running but does not answer its health check" };
    }
    if (s.Status === "created") return { status: "stopped", reason: "engine container was created but never started" };
    if (s.Status === "removing") return { status: "stopped", reason: "engine container is being removed" };
    return this.describeExit(info);
  }

  /** running=false: why did it end? Uses the exit code, the OOM flag and the engine's last log lines. */
  private async describeExit(info: ContainerInspect): Promise<PollResult> {
    const s = info.State;
    const code = s.ExitCode;
    if (s.OOMKilled) {
      return { status: "failed", reason: `exited with code ${code} (OOM killed: memory limit of ${Math.round(info.HostConfig.Memory / 1048576)} MiB reached)` };
    }
    const logs = await this.docker.containerLogs(info.Id, 50).catch(() => "");
    const events = parseEvents(logs);
    const last = (prefix: string) => [...events].reverse().find((e) => typeof e.event === "string" && e.event.startsWith(prefix));
    if (code === 0) {
      const shutdown = last("shutdown_");
      if (shutdown?.event === "shutdown_idle") return { status: "stopped", reason: "exited after its idle timeout" };
      if (shutdown?.event === "shutdown_sigterm" || shutdown?.event === "shutdown_sigint") return { status: "stopped", reason: "stopped by signal" };
      return { status: "stopped", reason: "exited with code 0" };
    }
    let detail: string | undefined;
    if (/heap out of memory|Reached heap limit/i.test(logs)) detail = "JavaScript heap out of memory";
    else if (code > 128 && code < 160) {
      const sig = signalName(code - 128);
      detail = sig ? `killed by ${sig}` : undefined;
    }
    const fatal = last("fatal");
    if (!detail && typeof fatal?.message === "string") detail = fatal.message;
    if (!detail && s.Error) detail = s.Error;
    return { status: "failed", reason: `exited with code ${code}${detail ? ` (${detail})` : ""}` };
  }

  async list(): Promise<ListedEngine[]> {
    const summaries = await this.docker.listContainers({
      label: [`${LABELS.installation}=${this.installationId}`, `${LABELS.driver}=${this.name}`],
    });
    const out: ListedEngine[] = [];
    for (const c of summaries) {
      const info = await this.docker.inspectContainer(c.Id);
      if (!info) continue; // removed meanwhile
      const labels = this.engineLabelsOf(info);
      const engineId = labels[LABELS.engineId];
      if (!engineId || !ENGINE_ID_PATTERN.test(engineId)) continue;
      out.push({ engineId, labels, state: this.toState(info) });
    }
    return out.sort((a, b) => a.engineId.localeCompare(b.engineId));
  }

  /** CPU (100 = one core) and memory use of a running engine, from Docker's stats. */
  async stats(state: EngineState): Promise<{ cpuPercent: number; memoryBytes: number } | undefined> {
    const { containerId } = this.parseState(state);
    const st = await this.docker.containerStats(containerId);
    if (!st) return undefined;
    const cpuDelta = st.cpu_stats.cpu_usage.total_usage - st.precpu_stats.cpu_usage.total_usage;
    const sysDelta = (st.cpu_stats.system_cpu_usage ?? 0) - (st.precpu_stats.system_cpu_usage ?? 0);
    const cpus = st.cpu_stats.online_cpus ?? st.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
    const cpuPercent = sysDelta > 0 && cpuDelta >= 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
    const m = st.memory_stats;
    // Like `docker stats`: page cache does not count (cgroup v1 "total_inactive_file"/"cache", v2 "inactive_file").
    const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? m.stats?.cache ?? 0;
    const memoryBytes = Math.max(0, (m.usage ?? 0) - cache);
    return { cpuPercent: Math.round(cpuPercent * 100) / 100, memoryBytes };
  }

  // ------------------------------------------------------------------ state

  /** Where the portal reaches the engine: its address on its tenant network, the engine port. */
  private endpointOf(info: ContainerInspect): { host: string; port: number } | null {
    const nets = info.NetworkSettings.Networks ?? {};
    const ip = nets[info.HostConfig.NetworkMode]?.IPAddress ?? Object.values(nets)[0]?.IPAddress;
    return ip ? { host: ip, port: this.containerPort } : null;
  }

  private engineLabelsOf(info: ContainerInspect): EngineLabels {
    const all = info.Config.Labels ?? {};
    const keep = new Set<string>(Object.values(LABELS));
    return Object.fromEntries(Object.entries(all).filter(([k]) => keep.has(k)));
  }

  private toState(info: ContainerInspect): EngineState {
    const labels = info.Config.Labels ?? {};
    return {
      driver: "docker",
      engineId: labels[LABELS.engineId] ?? "",
      containerId: info.Id,
      containerName: info.Name.replace(/^\//, ""),
      image: info.Config.Image,
      network: info.HostConfig.NetworkMode,
      host: this.endpointOf(info)?.host ?? null,
      port: this.endpointOf(info)?.port ?? null,
      createdAt: info.Created,
    };
  }

  private parseState(state: EngineState): { engineId: string; containerId: string } {
    const { engineId, containerId } = state;
    if (state.driver !== this.name || typeof engineId !== "string" || !ENGINE_ID_PATTERN.test(engineId) || typeof containerId !== "string" || !/^[0-9a-f]{12,64}$/.test(containerId)) {
      throw new Error("not a docker-driver engine state");
    }
    return { engineId, containerId };
  }
}

function parseEvents(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const ev = JSON.parse(line) as unknown;
      if (ev && typeof ev === "object" && !Array.isArray(ev)) out.push(ev as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  }
  return out;
}
