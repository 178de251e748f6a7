import { z } from "zod";
import type { Role } from "@/lib/generated/prisma/client";
import type { TenantContext } from "@/lib/http/api-route";
import { can } from "@/lib/auth/permissions";
import { badRequest, notFound } from "@/lib/http/errors";
import { scopedDb } from "@/lib/tenancy/scoped-db";
import { publishAppAccessChanged } from "@/lib/workspace/events";

/** Apps: calculation models users open as private engines (docs/workspaces.md). */

export const NODE_ID = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const nodeSchema = z
  .object({
    id: z.string({ error: "Every node needs an id." }).regex(NODE_ID, "A node id must start with a letter or _ and contain only letters, digits and _ (at most 64)."),
    title: z.string().max(120, "A node title can be at most 120 characters.").optional().default(""),
    formula: z.string({ error: "Every node needs a formula." }).min(1, "A node's formula cannot be empty.").max(10_000, "A formula can be at most 10000 characters."),
  })
  .strict();

export const nodesSchema = z
  .array(nodeSchema, { error: "nodes must be an array of {id, title, formula}." })
  .min(1, "An app needs at least one node.")
  .max(500, "An app can have at most 500 nodes.")
  .superRefine((nodes, ctx) => {
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `Node id "${n.id}" is used twice.` });
      seen.add(n.id);
    });
  });
export type AppNode = z.infer<typeof nodeSchema>;

const name = z.string({ error: "Name is required." }).trim().min(1, "Name is required.").max(120, "Name can be at most 120 characters.");
const description = z.string().trim().max(1000, "Description can be at most 1000 characters.");
const idList = z.array(z.string().regex(/^[0-9a-f]{32}$/, "must be an id")).max(500);

export const createAppSchema = z.object({ name, description: description.optional().default(""), nodes: nodesSchema }).strict();
export const updateAppSchema = z
  .object({ name: name.optional(), description: description.optional(), nodes: nodesSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send name, description or nodes.");
export const sharesSchema = z.object({ groupIds: idList }).strict();

/** Admins, owners and editors open every app of their tenant; members those shared with one of their groups. */
export function opensEveryApp(role: Role): boolean {
  return can(role, "apps:read");
}

export interface Opener {
  tenantId: string;
  userId: string | null;
  role: Role;
}

/** The app if `who` may open it, else null (never reveals whether it exists). */
export async function findOpenableApp(who: Opener, appId: string) {
  const sdb = scopedDb(who.tenantId);
  const app = await sdb.app.findUnique({ where: { id: appId } });
  if (!app) return null;
  if (opensEveryApp(who.role)) return app;
  if (!who.userId) return null;
  const shared = await sdb.appShare.count({ where: { appId, group: { members: { some: { userId: who.userId } } } } });
  return shared > 0 ? app : null;
}

function openerOf(ctx: TenantContext): Opener {
  return { tenantId: ctx.tenantId, userId: ctx.user?.userId ?? null, role: ctx.role };
}

export async function listApps(ctx: TenantContext) {
  const who = openerOf(ctx);
  const where = opensEveryApp(who.role) ? {} : { shares: { some: { group: { members: { some: { userId: who.userId ?? "-" } } } } } };
  const apps = await ctx.db.app.findMany({ where, orderBy: { name: "asc" } });
  const canEdit = can(ctx.role, "apps:write");
  return apps.map((a) => ({ id: a.id, name: a.name, description: a.description, version: a.currentVersion, canEdit }));
}

async function detail(ctx: TenantContext, appId: string) {
  const app = await ctx.db.app.findUnique({ where: { id: appId } });
  if (!app) throw notFound("app");
  const [version, shares] = await Promise.all([
    ctx.db.appVersion.findFirst({ where: { appId, version: app.currentVersion } }),
    ctx.db.appShare.findMany({ where: { appId }, include: { group: { select: { id: true, name: true } } } }),
  ]);
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    version: app.currentVersion,
    nodes: (version?.nodes ?? []) as AppNode[],
    shares: shares.map((s) => s.group).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export async function getApp(ctx: TenantContext, appId: string) {
  if (!(await findOpenableApp(openerOf(ctx), appId))) throw notFound("app");
  return detail(ctx, appId);
}

/** The nodes of an app's current version (for loading into an engine). */
export async function currentNodes(tenantId: string, appId: string): Promise<AppNode[]> {
  const sdb = scopedDb(tenantId);
  const app = await sdb.app.findUnique({ where: { id: appId } });
  if (!app) return [];
  const v = await sdb.appVersion.findFirst({ where: { appId, version: app.currentVersion } });
  return (v?.nodes ?? []) as AppNode[];
}

export async function createApp(ctx: TenantContext, input: z.infer<typeof createAppSchema>) {
  const createdById = ctx.user?.userId ?? null;
  const app = await ctx.db.app.create({ data: { tenantId: ctx.tenantId, name: input.name, description: input.description, currentVersion: 1, createdById } });
  await ctx.db.appVersion.create({ data: { tenantId: ctx.tenantId, appId: app.id, version: 1, nodes: input.nodes, createdById } });
  await ctx.audit({ action: "app.created", target: { type: "app", id: app.id }, metadata: { name: app.name, nodeCount: input.nodes.length } });
  return detail(ctx, app.id);
}

export async function updateApp(ctx: TenantContext, appId: string, input: z.infer<typeof updateAppSchema>) {
  const before = await ctx.db.app.findUnique({ where: { id: appId } });
  if (!before) throw notFound("app");
  let version = before.currentVersion;
  if (input.nodes) {
    const current = await ctx.db.appVersion.findFirst({ where: { appId, version } });
    if (JSON.stringify(current?.nodes ?? null) !== JSON.stringify(input.nodes)) {
      // A new version per change of nodes; (app_id, version) is unique, so concurrent saves cannot share a number.
      version += 1;
      await ctx.db.appVersion.create({ data: { tenantId: ctx.tenantId, appId, version, nodes: input.nodes, createdById: ctx.user?.userId ?? null } });
    }
  }
  await ctx.db.app.update({
    where: { id: appId },
    data: { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.description !== undefined ? { description: input.description } : {}), currentVersion: version },
  });
  await ctx.audit({
    action: "app.updated",
    target: { type: "app", id: appId },
    metadata: { from: { name: before.name, version: before.currentVersion }, to: { name: input.name ?? before.name, version } },
  });
  return detail(ctx, appId);
}

export async function setShares(ctx: TenantContext, appId: string, groupIds: string[]) {
  const app = await ctx.db.app.findUnique({ where: { id: appId } });
  if (!app) throw notFound("app");
  const unique = [...new Set(groupIds)];
  const found = await ctx.db.group.count({ where: { id: { in: unique } } });
  if (found !== unique.length) throw badRequest("groupIds: one or more groups do not exist.");
  const before = (await ctx.db.appShare.findMany({ where: { appId } })).map((s) => s.groupId).sort();
  await ctx.db.appShare.deleteMany({ where: { appId, groupId: { notIn: unique } } });
  if (unique.length) await ctx.db.appShare.createMany({ data: unique.map((groupId) => ({ tenantId: ctx.tenantId, appId, groupId })), skipDuplicates: true });
  await ctx.audit({ action: "app.shared", target: { type: "app", id: appId }, metadata: { from: before, to: [...unique].sort() } });
  // Open sockets of members who lost access are closed with 4403 (every replica).
  await publishAppAccessChanged({ tenantId: ctx.tenantId, appId }).catch(() => undefined);
  return detail(ctx, appId);
}
