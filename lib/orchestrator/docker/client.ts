/**
 * A small typed client for the Docker Engine API over its unix socket (node:http, no
 * dependencies). Only what the docker orchestrator driver needs.
 *
 * The API version is pinned (default v1.41 = Docker 20.10, which Debian 12 ships) so that the
 * JSON shapes below stay stable on newer daemons, which keep accepting older versions.
 */
import http from "node:http";

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "DockerApiError";
  }
}

/** The daemon could not be reached at all (not installed, not running, no permission). */
export class DockerUnavailableError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "DockerUnavailableError";
  }
}

export interface DockerClientOptions {
  /** Default: DOCKER_HOST when it is unix://…, else /var/run/docker.sock. */
  socketPath?: string;
  /** Default "v1.41". */
  apiVersion?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  State: {
    Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  Config: {
    Image: string;
    User: string;
    Labels: Record<string, string> | null;
    Env: string[] | null;
  };
  HostConfig: {
    NanoCpus: number;
    Memory: number;
    MemorySwap: number;
    PidsLimit: number | null;
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Privileged: boolean;
    AutoRemove: boolean;
    NetworkMode: string;
    Tmpfs: Record<string, string> | null;
    PortBindings: Record<string, PortBinding[] | null> | null;
  };
  NetworkSettings: {
    Ports: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, { NetworkID: string; IPAddress: string; Gateway: string }> | null;
  };
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
}

export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Containers: Record<string, { Name: string; IPv4Address: string }> | null;
}

export interface ContainerStats {
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
}

export type Filters = Record<string, string[]>;

interface Response {
  status: number;
  body: Buffer;
}

function defaultSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

export class DockerClient {
  readonly socketPath: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly agent: http.Agent;

  constructor(options: DockerClientOptions = {}) {
    this.socketPath = options.socketPath ?? defaultSocketPath();
    this.prefix = `/${options.apiVersion ?? "v1.41"}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    // Idle keep-alive sockets are unref'd by the agent: they never keep the process alive.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** Raw request; resolves for every HTTP status (callers decide what is an error). */
  request(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<Response> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path: this.prefix + path,
          headers: {
            Host: "docker",
            ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new DockerUnavailableError(`Docker API ${method} ${path} timed out after ${timeoutMs} ms`, "ETIMEDOUT")));
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err instanceof DockerUnavailableError) return reject(err);
        if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
          return reject(new DockerUnavailableError(`cannot reach the Docker daemon at ${this.socketPath} (${err.code}); run scripts/docker-up.sh`, err.code));
        }
        reject(err);
      });
      req.end(payload);
    });
  }

  /** JSON request; non-2xx statuses (except those in `ok`) become DockerApiError. */
  async json<T>(method: string, path: string, body?: unknown, opts: { ok?: number[]; timeoutMs?: number } = {}): Promise<T | undefined> {
    const res = await this.request(method, path, body, opts.timeoutMs);
    if (res.status >= 200 && res.status < 300) {
      if (res.body.length === 0) return undefined;
      return JSON.parse(res.body.toString("utf8")) as T;
    }
    if (opts.ok?.includes(res.status)) return undefined;
    throw new DockerApiError(res.status, errorMessage(res), method, path);
  }

  // ---------------------------------------------------------------- containers

  async inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    return this.json<ContainerInspect>("GET", `/containers/${encodeURIComponent(idOrName)}/json`, undefined, { ok: [404] });
  }

  async listContainers(filters: Filters, all = true): Promise<ContainerSummary[]> {
    const q = new URLSearchParams({ all: all ? "1" : "0", filters: JSON.stringify(filters) });
    return (await this.json<ContainerSummary[]>("GET", `/containers/json?${q}`)) ?? [];
  }

  async createContainer(name: string, config: Record<string, unknown>): Promise<{ Id: string; Warnings: string[] | null }> {
    const res = await this.json<{ Id: string; Warnings: string[] | null }>("POST", `/containers/create?name=${encodeURIComponent(name)}`, config);
    if (!res) throw new DockerApiError(500, "empty response to container create", "POST", "/containers/create");
    return res;
  }

  async startContainer(id: string): Promise<void> {
    await this.json("POST", `/containers/${encodeURIComponent(id)}/start`, undefined, { ok: [304] });
  }

  /** Stop (SIGTERM, then SIGKILL after `graceSeconds`). Already stopped / gone is fine. */
  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.json("POST", `/containers/${encodeURIComponent(id)}/stop?t=${graceSeconds}`, undefined, {
      ok: [304, 404],
      timeoutMs: this.timeoutMs + graceSeconds * 1000,
    });
  }

  async killContainer(id: string, signal = "SIGKILL"): Promise<void> {
    // 409: not running. 404: gone.
    await this.json("POST", `/containers/${encodeURIComponent(id)}/kill?signal=${encodeURIComponent(signal)}`, undefined, { ok: [404, 409] });
  }

  /** Remove (forcefully). Gone already, or removal already in progress, is fine. */
  async removeContainer(id: string): Promise<void> {
    await this.json("DELETE", `/containers/${encodeURIComponent(id)}?force=true&v=true`, undefined, { ok: [404, 409] });
  }

  /** The last `tail` lines of stdout+stderr (demultiplexed; containers run without a TTY). */
  async containerLogs(id: string, tail = 100): Promise<string> {
    const res = await this.request("GET", `/containers/${encodeURIComponent(id)}/logs?stdout=1&stderr=1&tail=${tail}`);
    if (res.status !== 200) return "";
    return demultiplex(res.body);
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    return this.json<ContainerStats>("GET", `/containers/${encodeURIComponent(id)}/stats?stream=false`, undefined, { ok: [404, 409] });
  }

  // ---------------------------------------------------------------- networks

  async inspectNetwork(idOrName: string): Promise<NetworkInspect | undefined> {
    return this.json<NetworkInspect>("GET", `/networks/${encodeURIComponent(idOrName)}`, undefined, { ok: [404] });
  }

  async listNetworks(filters: Filters): Promise<NetworkInspect[]> {
    const q = new URLSearchParams({ filters: JSON.stringify(filters) });
    return (await this.json<NetworkInspect[]>("GET", `/networks?${q}`)) ?? [];
  }

  async createNetwork(config: Record<string, unknown>): Promise<{ Id: string }> {
    const res = await this.json<{ Id: string }>("POST", "/networks/create", config);
    if (!res) throw new DockerApiError(500, "empty response to network create", "POST", "/networks/create");
    return res;
  }

  async connectNetwork(network: string, container: string): Promise<void> {
    await this.json("POST", `/networks/${encodeURIComponent(network)}/connect`, { Container: container });
  }

  /** Remove a network. Gone already is fine; in use (403/409) is reported as false. */
  async removeNetwork(idOrName: string): Promise<boolean> {
    const res = await this.request("DELETE", `/networks/${encodeURIComponent(idOrName)}`);
    if (res.status === 204 || res.status === 200 || res.status === 404) return true;
    if (res.status === 403 || res.status === 409) return false;
    throw new DockerApiError(res.status, errorMessage(res), "DELETE", `/networks/${idOrName}`);
  }

  // ---------------------------------------------------------------- images

  async imageExists(ref: string): Promise<boolean> {
    const res = await this.request("GET", `/images/${encodeURIComponent(ref)}/json`);
    return res.status === 200;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.request("GET", "/_ping", undefined, 5000)).status === 200;
    } catch {
      return false;
    }
  }
}

function errorMessage(res: Response): string {
  const text = res.body.toString("utf8");
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return text.trim() || `HTTP ${res.status}`;
}

/**
 * Docker's log stream for containers without a TTY: frames of [stream(1) 0 0 0 size(4, BE)]
 * followed by `size` bytes. Falls back to the raw text when the framing does not fit.
 */
export function demultiplex(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const stream = buf[i];
    if (stream !== 0 && stream !== 1 && stream !== 2) return buf.toString("utf8");
    const size = buf.readUInt32BE(i + 4);
    if (i + 8 + size > buf.length) return buf.toString("utf8");
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i !== buf.length) return buf.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}
