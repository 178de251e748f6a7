/**
 * Atrium engine wire protocol — the ONLY module shared between the portal and the engine.
 *
 * It imports nothing but zod, so the portal may import it (`@/engine/protocol`) and the
 * engine bundle stays independent of the portal. See docs/engine-protocol.md.
 */
import { z } from "zod";

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 1;

/** Subprotocol the client offers (and the server selects) on the WebSocket upgrade. */
export const ENGINE_SUBPROTOCOL = "atrium-engine.v1";
/** Prefix of the subprotocol entry that carries the secret: `atrium.bearer.<secret>`. */
export const BEARER_SUBPROTOCOL_PREFIX = "atrium.bearer.";
/** The single WebSocket path the engine serves. */
export const ENGINE_WS_PATH = "/ws";
/** Unauthenticated readiness probe. */
export const ENGINE_HEALTH_PATH = "/healthz";

/** Capabilities announced in `hello`. */
export const ENGINE_CAPABILITIES = [
  "load_app",
  "evaluate",
  "set_node",
  "get_stats",
  "ping",
  "broadcast",
  "kinds:scalar,array,table,object",
] as const;

/** WebSocket close codes used by the engine. */
export const CLOSE_CODES = {
  /** Engine shutting down (SIGTERM, idle exit). */
  goingAway: 1001,
  /** Frame larger than the hard payload cap (ws closes the socket). */
  messageTooBig: 1009,
} as const;

export const ERROR_CODES = [
  "bad_message",
  "unknown_node",
  "cycle",
  "formula_error",
  "upstream_error",
  "timeout",
  "too_large",
  "no_app",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Node ids are JS identifiers (formulas refer to them by name). */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const MAX_FORMULA_LENGTH = 20_000;
export const MAX_NODES = 5_000;

const requestId = z.string().min(1).max(128);

export const NodeDefSchema = z
  .object({
    id: z.string().regex(NODE_ID_PATTERN, "node id must be an identifier (letters, digits, _; max 64)"),
    title: z.string().max(500).optional(),
    formula: z.string().max(MAX_FORMULA_LENGTH),
  })
  .strict();
export type NodeDef = z.infer<typeof NodeDefSchema>;

// ---------------------------------------------------------------- client → engine

export const LoadAppRequestSchema = z
  .object({ type: z.literal("load_app"), id: requestId, nodes: z.array(NodeDefSchema).max(MAX_NODES) })
  .strict();
export const EvaluateRequestSchema = z
  .object({ type: z.literal("evaluate"), id: requestId, nodeId: z.string().min(1).max(64) })
  .strict();
export const SetNodeRequestSchema = z
  .object({
    type: z.literal("set_node"),
    id: requestId,
    node: NodeDefSchema,
  })
  .strict();
export const GetStatsRequestSchema = z.object({ type: z.literal("get_stats"), id: requestId }).strict();
/** `payload` (optional, any string up to the message limit) is echoed back: for liveness, latency and throughput checks. */
export const PingRequestSchema = z.object({ type: z.literal("ping"), id: requestId, payload: z.string().optional() }).strict();

export const ClientMessageSchema = z.discriminatedUnion("type", [
  LoadAppRequestSchema,
  EvaluateRequestSchema,
  SetNodeRequestSchema,
  GetStatsRequestSchema,
  PingRequestSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage["type"];

// ---------------------------------------------------------------- engine → client

export const ResultKindSchema = z.enum(["scalar", "array", "table", "object"]);
export type ResultKind = z.infer<typeof ResultKindSchema>;

/** Tables are always sent normalised to columns + rows. */
export const TableValueSchema = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())) });
export type TableValue = z.infer<typeof TableValueSchema>;

export const StatsSchema = z.object({
  cpuPercent: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  uptimeSeconds: z.number(),
});
export type EngineStats = z.infer<typeof StatsSchema>;

export const HelloMessageSchema = z.object({
  type: z.literal("hello"),
  protocolVersion: z.number().int(),
  engineVersion: z.string(),
  capabilities: z.array(z.string()),
  limits: z.object({ maxMessageBytes: z.number(), maxResultBytes: z.number(), evalTimeoutMs: z.number() }),
  appLoaded: z.boolean(),
});

export const LoadAppResultSchema = z.object({
  type: z.literal("result"),
  id: requestId,
  op: z.literal("load_app"),
  nodeCount: z.number().int(),
});
export const EvaluateResultSchema = z.object({
  type: z.literal("result"),
  id: requestId,
  op: z.literal("evaluate"),
  nodeId: z.string(),
  kind: ResultKindSchema,
  value: z.unknown(),
  /** Wall time spent answering this request (0 when fully cached). */
  computeMs: z.number(),
  /** Time the node's own formula took when it was (last) computed. */
  nodeComputeMs: z.number(),
  cached: z.boolean(),
});
export const SetNodeResultSchema = z.object({
  type: z.literal("result"),
  id: requestId,
  op: z.literal("set_node"),
  nodeId: z.string(),
  created: z.boolean(),
  /** Node ids whose cached results were dropped (the node itself and everything downstream). */
  invalidated: z.array(z.string()),
});
export const GetStatsResultSchema = z.object({
  type: z.literal("result"),
  id: requestId,
  op: z.literal("get_stats"),
  stats: StatsSchema,
});
export const PongMessageSchema = z.object({ type: z.literal("pong"), id: requestId, payload: z.string().optional() });

export const ErrorMessageSchema = z.object({
  type: z.literal("error"),
  /** The request id, or null when the message could not be parsed far enough to find one. */
  id: requestId.nullable(),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** The node the request was about (evaluate / set_node). */
  nodeId: z.string().optional(),
  /** The node whose formula actually failed (differs from nodeId for upstream_error). */
  failedNodeId: z.string().optional(),
  /** For code "cycle": the cycle path, first node repeated at the end (a → b → a). */
  cycle: z.array(z.string()).optional(),
});

/** Broadcast to the OTHER clients when one client changes a node. */
export const NodeChangedMessageSchema = z.object({
  type: z.literal("node_changed"),
  node: NodeDefSchema,
  created: z.boolean(),
});
/** Broadcast to the OTHER clients together with node_changed / app_loaded. */
export const InvalidatedMessageSchema = z.object({ type: z.literal("invalidated"), nodeIds: z.array(z.string()) });
/** Broadcast to the OTHER clients when one client loads an app. */
export const AppLoadedMessageSchema = z.object({ type: z.literal("app_loaded"), nodeCount: z.number().int() });

export const ServerMessageSchema = z.union([
  HelloMessageSchema,
  LoadAppResultSchema,
  EvaluateResultSchema,
  SetNodeResultSchema,
  GetStatsResultSchema,
  PongMessageSchema,
  ErrorMessageSchema,
  NodeChangedMessageSchema,
  InvalidatedMessageSchema,
  AppLoadedMessageSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type HelloMessage = z.infer<typeof HelloMessageSchema>;
export type EvaluateResult = z.infer<typeof EvaluateResultSchema>;
export type SetNodeResult = z.infer<typeof SetNodeResultSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
export type NodeChangedMessage = z.infer<typeof NodeChangedMessageSchema>;
export type InvalidatedMessage = z.infer<typeof InvalidatedMessageSchema>;

/** The line the engine prints on stdout once it listens; drivers wait for it. */
export const ReadyLineSchema = z.object({ event: z.literal("ready"), port: z.number().int(), pid: z.number().int() });
export type ReadyLine = z.infer<typeof ReadyLineSchema>;
