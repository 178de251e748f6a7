import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/client";
import { randomToken, sha256Hex } from "@/lib/security/tokens";

/** API keys look like `atr_<8 id chars>_<secret>`; only the SHA-256 of the whole key is stored. */
export const API_KEY_PREFIX = "atr_";

export function newApiKeySecret(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + 8), hash: sha256Hex(key) };
}

export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  name: string;
  role: Role;
}

/** The live key behind a bearer value, with its last-used time recorded; null when unknown, revoked or expired. */
export async function resolveApiKey(bearer: string): Promise<ApiKeyPrincipal | null> {
  if (!bearer.startsWith(API_KEY_PREFIX) || bearer.length > 100) return null;
  const row = await db().apiKey.findUnique({ where: { keyHash: sha256Hex(bearer) } });
  const now = new Date();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 1000) {
    await db().apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { keyId: row.id, tenantId: row.tenantId, name: row.name, role: row.role };
}

// ---- administration -------------------------------------------------------

import { z } from "zod";
import type { TenantContext } from "@/lib/http/api-route";
import { forbidden, notFound } from "@/lib/http/errors";
import { roleAtMost } from "@/lib/auth/permissions";

export const createApiKeySchema = z
  .object({
    name: z.string({ error: "Name is required." }).trim().min(1, "Name is required.").max(80, "Name can be at most 80 characters."),
    role: z.enum(["admin", "member"], { error: "An API key's role must be admin or member." }).optional().default("member"),
    expiresInDays: z.number().int("Expiry must be a whole number of days.").min(1, "Expiry must be at least 1 day.").max(3650, "Expiry can be at most 3650 days.").nullable().optional().default(90),
  })
  .strict();

const keyView = (k: { id: string; name: string; role: Role; prefix: string; createdAt: Date; expiresAt: Date | null; lastUsedAt: Date | null; revokedAt: Date | null }) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

export async function listApiKeys(ctx: TenantContext) {
  return (await ctx.db.apiKey.findMany({ orderBy: { createdAt: "desc" } })).map(keyView);
}

/** Creates a key that acts with at most its creator's role; the secret is returned this once. */
export async function createApiKey(ctx: TenantContext, input: z.infer<typeof createApiKeySchema>) {
  if (!roleAtMost(input.role, ctx.role)) throw forbidden("An API key cannot have more rights than you.");
  const secret = newApiKeySecret();
  const k = await ctx.db.apiKey.create({
    data: {
      tenantId: ctx.tenantId,
      name: input.name,
      role: input.role,
      prefix: secret.prefix,
      keyHash: secret.hash,
      createdById: ctx.actor.id ?? null,
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
    },
  });
  await ctx.audit({ action: "api_key.created", target: { type: "api_key", id: k.id }, metadata: { name: k.name, role: k.role, expiresAt: k.expiresAt } });
  return { apiKey: keyView(k), key: secret.key };
}

export async function revokeApiKey(ctx: TenantContext, id: string): Promise<void> {
  const { count } = await ctx.db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (!count) throw notFound("API key");
  await ctx.audit({ action: "api_key.revoked", target: { type: "api_key", id } });
}
