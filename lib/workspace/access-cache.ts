/**
 * A short-lived, in-process memory of upgrades the proxy has just authorised in full
 * against the database: (session token hash, app) → who, until when, and the engine to
 * connect to (with its opened secret). A browser that reconnects, or opens a second tab,
 * within `ttlMs` skips the three database reads; everything else takes the full path.
 *
 * Why this cannot keep a revoked session alive (docs/security.md, "WebSockets"):
 * - every entry dies `ttlMs` (WS_AUTH_CACHE_MS, 1 s) after the database said yes, whatever
 *   else happens — even with Redis pub/sub down, a revoked session, a withdrawn share or a
 *   stopped engine opens no new socket more than `ttlMs` after the change;
 * - the events that close open sockets (session ended, engine ended, app or user access changed)
 *   drop the matching entries first, on every replica, and on the replica that ended a
 *   session they are dropped synchronously, before `endSession` returns (events.ts);
 * - a hit registers its socket in the same tick as the lookup (no await in between), so a
 *   socket opened from an entry just before its event arrived is closed by that event
 *   like every other socket of the session;
 * - an absolute or idle expiry is re-checked on every hit against the times read;
 * - a database check that was in flight while an event arrived neither fills the cache nor
 *   (for the session or engine the event named) lets its socket through (`endedSince`).
 */
export interface Grant {
  sessionId: string;
  tenantId: string;
  userId: string;
  appId: string;
  /** The session's absolute end (ms). */
  expiresAt: number;
  /** The session's idle end as of the database read (ms). */
  idleExpiresAt: number;
  engineId: string;
  host: string;
  port: number;
  secret: string;
  /** When the database said yes (ms). */
  at: number;
}

/** How long an ended session/engine is remembered, to refuse checks that were in flight. */
const ENDED_MEMORY_MS = 10_000;

export class AccessCache {
  private readonly grants = new Map<string, Grant>();
  private readonly endedSessions = new Map<string, number>();
  private readonly endedEngines = new Map<string, number>();
  /** Bumped by every invalidation; a check that saw another epoch start does not fill the cache. */
  epoch = 0;

  constructor(readonly ttlMs: number) {}

  get size(): number {
    return this.grants.size;
  }

  get(tokenHash: string, appId: string, now: number): Grant | null {
    if (this.ttlMs <= 0) return null;
    const key = `${tokenHash}:${appId}`;
    const g = this.grants.get(key);
    if (!g) return null;
    if (now - g.at >= this.ttlMs || now >= g.expiresAt || now >= g.idleExpiresAt) {
      this.grants.delete(key);
      return null;
    }
    return g;
  }

  /** Remembers a full database yes, unless an invalidation happened since `epoch` was read. */
  set(tokenHash: string, g: Grant, epoch: number): void {
    if (this.ttlMs <= 0 || epoch !== this.epoch) return;
    if (this.grants.size >= 10_000) this.prune(g.at);
    this.grants.set(`${tokenHash}:${g.appId}`, g);
  }

  /** Was this session or engine ended (on any replica, as far as this one heard) since `epoch`? */
  endedSince(epoch: number, sessionId: string, engineId: string | null): "session" | "engine" | null {
    if (epoch === this.epoch) return null;
    if (this.endedSessions.has(sessionId)) return "session";
    if (engineId && this.endedEngines.has(engineId)) return "engine";
    return null;
  }

  dropSession(sessionId: string): void {
    this.bump();
    this.endedSessions.set(sessionId, Date.now());
    for (const [k, g] of this.grants) if (g.sessionId === sessionId) this.grants.delete(k);
  }

  dropEngine(engineId: string): void {
    this.bump();
    this.endedEngines.set(engineId, Date.now());
    for (const [k, g] of this.grants) if (g.engineId === engineId) this.grants.delete(k);
  }

  dropApp(tenantId: string, appId: string): void {
    this.bump();
    for (const [k, g] of this.grants) if (g.appId === appId && g.tenantId === tenantId) this.grants.delete(k);
  }

  dropUser(tenantId: string, userId: string): void {
    this.bump();
    for (const [k, g] of this.grants) if (g.userId === userId && g.tenantId === tenantId) this.grants.delete(k);
  }

  clear(): void {
    this.bump();
    this.grants.clear();
  }

  private bump(): void {
    this.epoch++;
    const cutoff = Date.now() - ENDED_MEMORY_MS;
    for (const [k, t] of this.endedSessions) if (t < cutoff) this.endedSessions.delete(k);
    for (const [k, t] of this.endedEngines) if (t < cutoff) this.endedEngines.delete(k);
  }

  private prune(now: number): void {
    for (const [k, g] of this.grants) if (now - g.at >= this.ttlMs) this.grants.delete(k);
  }
}
