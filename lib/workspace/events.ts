import { redis } from "@/lib/redis";

/**
 * Cross-replica workspace events on Redis pub/sub. Publishers use the shared connection;
 * subscribers (lib/workspace/service.ts) use their own, duplicated one.
 */
export const SESSION_ENDED_CHANNEL = "atrium:session-ended";
export const ENGINE_ENDED_CHANNEL = "atrium:engine-ended";
export const APP_ACCESS_CHANNEL = "atrium:app-access-changed";

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

async function publish(channel: string, message: unknown): Promise<void> {
  await redis().publish(channel, JSON.stringify(message));
}

export const publishSessionEnded = (e: SessionEndedEvent) => publish(SESSION_ENDED_CHANNEL, e);
export const publishEngineEnded = (e: EngineEndedEvent) => publish(ENGINE_ENDED_CHANNEL, e);
export const publishAppAccessChanged = (e: AppAccessEvent) => publish(APP_ACCESS_CHANNEL, e);
