import { createHash } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
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

/**
 * The process driver's engine program: ENGINE_ENTRY, else engine/dist/engine.mjs when it was
 * built, else a bundle made here once per engine source version (esbuild, about 0.3 s) under
 * .data/engines/bundles/. Without a bundle every engine would compile its TypeScript through
 * tsx at start, several times slower (seconds per start under load). Falls back to that when
 * esbuild is not installed.
 */
async function processEngineEntry(c: Config): Promise<string | undefined> {
  if (c.ENGINE_ENTRY) return path.resolve(c.ENGINE_ENTRY);
  const root = process.cwd();
  if (existsSync(path.join(root, "engine", "dist", "engine.mjs"))) return undefined; // the driver's own default
  try {
    const dir = path.join(root, "engine");
    const hash = createHash("sha256");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts")).sort()) hash.update(f).update(readFileSync(path.join(dir, f)));
    const out = path.join(root, ".data", "engines", "bundles", `engine-${hash.digest("hex").slice(0, 16)}.mjs`);
    if (existsSync(out)) return out;
    await mkdir(path.dirname(out), { recursive: true });
    const mod = (await import(pathToFileURL(path.join(dir, "build.ts")).href)) as { buildEngine: (outfile: string) => Promise<string> };
    const tmp = `${out}.${process.pid}.tmp`;
    await mod.buildEngine(tmp);
    await rename(tmp, out); // atomic: replicas starting together never run a half-written bundle
    return out;
  } catch {
    return undefined; // no esbuild (production install without dev tools): engine/server.ts through tsx
  }
}

type DriverFactory = (c: Config) => Promise<Orchestrator>;

const DRIVERS: Record<Config["ENGINE_DRIVER"], DriverFactory> = {
  process: async (c) => {
    const engineEntry = await processEngineEntry(c);
    return new ProcessDriver({
      installationId: installationId(c),
      stateDir: processStateDir(c),
      ...(engineEntry ? { engineEntry } : {}),
      startTimeoutMs: c.ENGINE_START_TIMEOUT_SECONDS * 1000,
    });
  },
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
