import { createHash } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import type { Config } from "@/lib/config";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import type { Orchestrator } from "@/lib/orchestrator/types";

/**
 * Driver registry: picks the orchestrator by ENGINE_DRIVER. The docker driver is imported
 * lazily (it is optional and may not exist in this build); a missing one is a clear start-up
 * error rather than a failure on the first click.
 */
/**
 * This installation's id: ENGINE_INSTALLATION_ID, or one derived from the database (replicas
 * of one installation share it; two installations on one host, e.g. parallel test
 * instances, never see — and never reap — each other's engines).
 */
export function installationId(c: Pick<Config, "ENGINE_INSTALLATION_ID" | "DATABASE_URL">): string {
  return c.ENGINE_INSTALLATION_ID ?? `atrium-${createHash("sha256").update(c.DATABASE_URL).digest("hex").slice(0, 16)}`;
}

export function processStateDir(c: Pick<Config, "ENGINE_STATE_DIR" | "ENGINE_INSTALLATION_ID" | "DATABASE_URL">): string {
  return path.resolve(c.ENGINE_STATE_DIR ?? path.join(process.cwd(), ".data", "engines", installationId(c)));
}

type DriverFactory = (c: Config) => Promise<Orchestrator>;

const DRIVERS: Record<Config["ENGINE_DRIVER"], DriverFactory> = {
  process: async (c) =>
    new ProcessDriver({
      installationId: installationId(c),
      stateDir: processStateDir(c),
      ...(c.ENGINE_ENTRY ? { engineEntry: path.resolve(c.ENGINE_ENTRY) } : {}),
      startTimeoutMs: c.ENGINE_START_TIMEOUT_SECONDS * 1000,
    }),
  docker: async (c) => {
    const file = path.join(process.cwd(), "lib", "orchestrator", "docker-driver.ts");
    if (!existsSync(file)) throw new Error("ENGINE_DRIVER=docker, but this build has no docker driver (lib/orchestrator/docker-driver.ts). Use ENGINE_DRIVER=process or install a build with the docker driver.");
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const Ctor = (mod.DockerDriver ?? mod.default) as (new (options: Record<string, unknown>) => Orchestrator) | undefined;
    if (typeof Ctor !== "function") throw new Error("ENGINE_DRIVER=docker, but lib/orchestrator/docker-driver.ts exports no DockerDriver class.");
    return new Ctor({ installationId: installationId(c), startTimeoutMs: c.ENGINE_START_TIMEOUT_SECONDS * 1000, ...(c.ENGINE_IMAGE ? { image: c.ENGINE_IMAGE } : {}) });
  },
};

export async function createDriver(c: Config): Promise<Orchestrator> {
  const factory = DRIVERS[c.ENGINE_DRIVER];
  try {
    return await factory(c);
  } catch (err) {
    throw new Error(`Cannot start the workspace service: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
