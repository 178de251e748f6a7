import { z } from "zod";

/**
 * The one place that reads process.env. Parsed once, validated with zod, and
 * frozen; a bad or missing value stops the process at start-up with a message
 * naming the variable, instead of failing later in a request.
 */
const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    HOST: z.string().default("127.0.0.1"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /** The origin browsers use to reach Atrium (scheme://host[:port]); checked on every state change. */
    PUBLIC_ORIGIN: z.url().transform((u) => new URL(u).origin),
    /** Secret for next-auth, CSRF tokens and key derivation. Generate with `openssl rand -hex 32`. */
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters (openssl rand -hex 32)"),
    /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of Atrium. */
    TRUST_PROXY: bool.default(false),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /**
     * Lowers the minimum session-policy bounds to 1 second so end-to-end tests can
     * watch sessions expire. Honoured only when PUBLIC_ORIGIN is a loopback http
     * origin (a test run), refused anywhere else (see below).
     */
    ATRIUM_TEST_SHORT_SESSIONS: bool.default(false),
    INVITE_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72),
    RATE_SIGNIN_PER_IP: z.coerce.number().int().min(1).default(30),
    RATE_SIGNIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
    RATE_API_PER_IP: z.coerce.number().int().min(1).default(600),
    RATE_API_PER_PRINCIPAL: z.coerce.number().int().min(1).default(600),
    RATE_API_PER_TENANT: z.coerce.number().int().min(1).default(3000),
    RATE_API_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    OPERATOR_SESSION_MAX_SECONDS: z.coerce.number().int().min(60).default(8 * 3600),
    OPERATOR_SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).default(30 * 60),
    // Workspaces (docs/workspaces.md).
    /** Orchestrator driver for engines: "process" (this host) or "docker". */
    ENGINE_DRIVER: z.enum(["process", "docker"]).default("process"),
    /** Identifies this installation in engine labels (drivers list only their own installation's engines). Default: derived from DATABASE_URL. */
    ENGINE_INSTALLATION_ID: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).optional(),
    /** process driver: state and log directory (default: <cwd>/.data/engines/<installation>). */
    ENGINE_STATE_DIR: z.string().optional(),
    /** process driver: the engine program (default: engine/dist/engine.mjs when built, else engine/server.ts). */
    ENGINE_ENTRY: z.string().min(1).optional(),
    /** docker driver: the engine image (default atrium/engine:latest, built by scripts/build-engine-image.sh). */
    ENGINE_IMAGE: z.string().min(1).max(512).optional(),
    ENGINES_PER_USER: z.coerce.number().int().min(1).default(5),
    ENGINES_PER_GROUP: z.coerce.number().int().min(1).default(50),
    ENGINE_START_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
    ENGINE_SPAWN_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    ENGINE_MAX_AGE_SECONDS: z.coerce.number().int().min(60).default(12 * 3600),
    /** The engine exits by itself after this long without clients (second line of defence). */
    ENGINE_IDLE_SECONDS: z.coerce.number().int().min(0).default(3600),
    /** Largest WebSocket message relayed by the proxy (either direction). */
    WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
    /** Backpressure: pause the reading side while the other side has more than this buffered. */
    WS_HIGH_WATER_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
    WS_PING_SECONDS: z.coerce.number().int().min(1).default(25),
    /** How long the proxy reuses a full upgrade authorisation (lib/workspace/access-cache.ts); 0 = off, at most 1 s. */
    WS_AUTH_CACHE_MS: z.coerce.number().int().min(0).max(1000).default(1000),
    /** How long a warm spare connection to a just-opened engine waits for the next upgrade (spare-upstreams.ts); 0 = off. */
    WS_SPARE_UPSTREAM_MS: z.coerce.number().int().min(0).max(25_000).default(10_000),
    // SAML SSO (docs/sso.md).
    /**
     * Lets the SSO admin fetch IdP metadata from private, loopback and link-local addresses and accept http:// IdP
     * URLs. Off by default (SSRF protection); for a development or test IdP on this host or an internal network.
     */
    SSO_METADATA_ALLOW_PRIVATE: bool.default(false),
  })
  .superRefine((c, ctx) => {
    // Plain HTTP is tolerated only on loopback (the local demo and tests); anything reachable over a network needs TLS.
    const httpHost = c.PUBLIC_ORIGIN.startsWith("http://") ? new URL(c.PUBLIC_ORIGIN).hostname : null;
    const loopback = httpHost !== null && ["localhost", "127.0.0.1", "[::1]"].includes(httpHost);
    if (c.ATRIUM_TEST_SHORT_SESSIONS && !loopback) {
      ctx.addIssue({ code: "custom", path: ["ATRIUM_TEST_SHORT_SESSIONS"], message: "is a test setting, honoured only with a loopback http PUBLIC_ORIGIN" });
    }
    if (c.NODE_ENV === "production" && httpHost !== null && !loopback) {
      ctx.addIssue({ code: "custom", path: ["PUBLIC_ORIGIN"], message: "must be https:// in production (plain http only for localhost)" });
    }
  });

export type Config = Readonly<z.infer<typeof schema>> & { readonly secureCookies: boolean };

function load(env: NodeJS.ProcessEnv): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  return Object.freeze({ ...c, secureCookies: c.PUBLIC_ORIGIN.startsWith("https://") });
}

let cached: Config | undefined;

/** The validated configuration (parsed on first use; throws a readable error when invalid). */
export function config(): Config {
  cached ??= load(process.env);
  return cached;
}

/** For tests of the schema itself. */
export const parseConfig = load;
