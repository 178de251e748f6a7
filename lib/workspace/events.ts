import { redis } from "@/lib/redis";

/**
 * Cross-replica workspace events on Redis pub/sub. Publishers use the shared connection;
 * subscribers (lib/workspace/service.ts) use their own, duplicated one.
 */
export const SESSION_ENDED_CHANNEL = "atrium:session-ended";
export const ENGINE_ENDED_CHANNEL = "atrium:engine-ended";
export const APP_ACCESS_CHANNEL = "atrium:app-access-changed";
export const USER_ACCESS_CHANNEL = "atrium:user-access-changed";

export interface SessionEndedEvent {
  sessionId: string;
  userId: string | null;
  tenantId: string | null;
  reason: string;
}

/** An engine stopped or failed: every replica closes its sockets to it with `code`. */
export interface EngineEndedEvent {
  engineId: string;
  code: 4404 | 4500;
  reason: string;
}

export interface AppAccessEvent {
  tenantId: string;
  appId: string;
}

/** A user's role or group memberships changed: every replica re-checks that user's sockets. */
export interface UserAccessEvent {
  tenantId: string;
  userId: string;
}

/**
 * In-process listeners, called synchronously before the Redis publish: the replica that ends a
 * session forgets what it cached for it (lib/workspace/access-cache.ts) before `endSession`
 * returns, without waiting for its own echo. On globalThis because Next's route bundles and
 * server.ts are separate module graphs in one process.
 */
export type LocalEventListener = (channel: string, message: unknown) => void;
const g = globalThis as unknown as { atriumLocalEventListeners?: Set<LocalEventListener> };
const localListeners = (g.atriumLocalEventListeners ??= new Set());

export function onLocalPublish(fn: LocalEventListener): () => void {
  localListeners.add(fn);
  return () => localListeners.delete(fn);
}

async function publish(channel: string, message: unknown): Promise<void> {
  for (const fn of localListeners) {
    try {
      fn(channel, message);
    } catch {
      // a listener's failure must not stop the publish every replica relies on
    }
  }
  await redis().publish(channel, JSON.stringify(message));
}

export const publishSessionEnded = (e: SessionEndedEvent) => publish(SESSION_ENDED_CHANNEL, e);
export const publishEngineEnded = (e: EngineEndedEvent) => publish(ENGINE_ENDED_CHANNEL, e);
export const publishAppAccessChanged = (e: AppAccessEvent) => publish(APP_ACCESS_CHANNEL, e);
export const publishUserAccessChanged = (e: UserAccessEvent) => publish(USER_ACCESS_CHANNEL, e);
