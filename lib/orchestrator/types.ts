/**
 * The orchestrator contract (modelled on JupyterHub's Spawner). One interface, one file per
 * driver: `process` (process-driver.ts), later `docker` and `kubernetes`.
 *
 *  - start(spec, onProgress): idempotent per engineId; reports progress the browser can show;
 *    resolves with an endpoint and an opaque, JSON-serialisable `state` the portal persists.
 *  - stop(state): idempotent. poll(state): running | stopped | failed (with reason).
 *  - list(): every engine this driver runs for this installation (found by labels), so the
 *    portal can re-attach after a restart and remove orphans.
 */
import { z } from "zod";

/** Engine ids double as file names / container names: keep them boring. */
export const ENGINE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const EngineSpecSchema = z.object({
  engineId: z.string().regex(ENGINE_ID_PATTERN, "engineId must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}"),
  tenantId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128),
  appId: z.string().min(1).max(128),
  /** CPU limit in millicores (1000 = one core). The process driver cannot enforce it. */
  cpuMillis: z.number().int().positive().max(256_000),
  /** Memory limit in MiB. Hard for containers; a V8 heap cap for the process driver. */
  memoryMiB: z.number().int().min(32).max(1_048_576),
  /** Container image (container drivers); ignored by the process driver. */
  image: z.string().min(1).max(512).optional(),
  /**
   * Per-engine secret the engine requires on every connection. Use URL-safe characters
   * (hex / base64url) so it also fits the `atrium.bearer.<secret>` subprotocol; ≥ 16 chars.
   */
  secret: z.string().regex(/^[A-Za-z0-9._~-]{16,512}$/, "secret must be 16-512 URL-safe characters"),
  /** The engine exits by itself after this many idle seconds (0 disables). */
  idleSeconds: z.number().int().min(0).max(7 * 24 * 3600),
});
export type EngineSpec = z.infer<typeof EngineSpecSchema>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Opaque, JSON-serialisable driver state persisted by the portal (engines.state column).
 * Only the driver that produced it interprets it; it never contains the secret.
 */
export type EngineState = { driver: string } & { [key: string]: JsonValue };

/** What start() resolves with. `host`/`port` are where the portal's proxy connects. */
export interface EngineEndpoint {
  host: string;
  port: number;
}

export interface StartResult {
  endpoint: EngineEndpoint;
  state: EngineState;
}

export type ProgressStage = "queued" | "creating" | "starting" | "waiting_ready" | "ready" | "failed";

/** Progress events are safe to show in the browser: no secrets, no host paths. */
export interface ProgressEvent {
  stage: ProgressStage;
  /** 0–100, non-decreasing within one start. */
  progress: number;
  message: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

export type PollResult =
  | { status: "running" }
  | { status: "stopped"; reason?: string }
  | { status: "failed"; reason: string };

/** Labels every driver attaches to its engines (Docker labels, Kubernetes labels, state files). */
export const LABELS = {
  installation: "atrium.installation",
  engineId: "atrium.engine-id",
  tenant: "atrium.tenant",
  user: "atrium.user",
  app: "atrium.app",
  driver: "atrium.driver",
} as const;

export type EngineLabels = Record<string, string>;

export interface ListedEngine {
  engineId: string;
  labels: EngineLabels;
  state: EngineState;
}

export interface Orchestrator {
  readonly name: string;
  /**
   * Start the engine for spec.engineId, or return the running one (same endpoint and state).
   * Concurrent calls for one engineId share a single start. Rejects with StartError.
   */
  start(spec: EngineSpec, onProgress?: ProgressListener): Promise<StartResult>;
  /** Stop the engine and release its resources. Idempotent; never rejects for "already gone". */
  stop(state: EngineState): Promise<void>;
  /** Is the engine described by `state` running? */
  poll(state: EngineState): Promise<PollResult>;
  /** Every engine of this installation known to this driver, including ones that have died. */
  list(): Promise<ListedEngine[]>;
  /**
   * Optional: release shared resources no engine uses any more (docker: tenant networks).
   * The portal calls it from its sweeper; returns what was removed.
   */
  collectGarbage?(): Promise<string[]>;
}

/** start() failures; the message is safe to show to the user. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly engineId: string,
    readonly reason: "timeout" | "exited" | "spawn_failed" | "invalid_spec",
  ) {
    super(message);
    this.name = "StartError";
  }
}

export function engineLabels(installationId: string, driver: string, spec: EngineSpec): EngineLabels {
  return {
    [LABELS.installation]: installationId,
    [LABELS.driver]: driver,
    [LABELS.engineId]: spec.engineId,
    [LABELS.tenant]: spec.tenantId,
    [LABELS.user]: spec.userId,
    [LABELS.app]: spec.appId,
  };
}
