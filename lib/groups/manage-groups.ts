import { z } from "zod";
import type { TenantContext } from "@/lib/http/api-route";
import { notFound } from "@/lib/http/errors";
import { publishUserAccessChanged } from "@/lib/workspace/events";

/** Groups carry what one engine of a member may use: CPU in millicores, memory in MiB. */
const cpu = z.number({ error: "CPU must be a number of millicores." }).int("CPU must be a whole number of millicores.").min(100, "CPU must be at least 100 millicores (0.1 core).").max(64_000, "CPU can be at most 64000 millicores (64 cores).");
const memory = z.number({ error: "Memory must be a number of MiB." }).int("Memory must be a whole number of MiB.").min(128, "Memory must be at least 128 MiB.").max(262_144, "Memory can be at most 262144 MiB (256 GiB).");
const name = z.string({ error: "Name is required." }).trim().min(1, "Name is required.").max(80, "Name can be at most 80 characters.");
const description = z.string().trim().max(500, "Description can be at most 500 characters.");

export const createGroupSchema = z.object({ name, description: description.optional().default(""), cpuMillis: cpu, memoryMiB: memory }).strict();
export const updateGroupSchema = z
  .object({ name: name.optional(), description: description.optional(), cpuMillis: cpu.optional(), memoryMiB: memory.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send name, description, cpuMillis or memoryMiB.");

const view = (g: { id: string; name: string; description: string; cpuMillis: number; memoryMiB: number; _count: { members: number } }) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  cpuMillis: g.cpuMillis,
  memoryMiB: g.memoryMiB,
  memberCount: g._count.members,
});
const withCount = { _count: { select: { members: true } } } as const;

export async function listGroups(ctx: TenantContext) {
  return (await ctx.db.group.findMany({ include: withCount, orderBy: { name: "asc" } })).map(view);
}

export async function getGroup(ctx: TenantContext, id: string) {
  const g = await ctx.db.group.findUnique({ where: { id }, include: { ...withCount, members: { include: { user: { select: { id: true, email: true, name: true } } } } } });
  if (!g) throw notFound("group");
  return { group: view(g), members: g.members.map((m) => m.user).sort((a, b) => a.email.localeCompare(b.email)) };
}

export async function createGroup(ctx: TenantContext, input: z.infer<typeof createGroupSchema>) {
  const g = await ctx.db.group.create({ data: { ...input, tenantId: ctx.tenantId }, include: withCount });
  await ctx.audit({ action: "group.created", target: { type: "group", id: g.id }, metadata: { name: g.name, cpuMillis: g.cpuMillis, memoryMiB: g.memoryMiB } });
  return view(g);
}

export async function updateGroup(ctx: TenantContext, id: string, input: z.infer<typeof updateGroupSchema>) {
  const before = await ctx.db.group.findUnique({ where: { id } });
  if (!before) throw notFound("group");
  const g = await ctx.db.group.update({ where: { id }, data: input, include: withCount });
  await ctx.audit({
    action: "group.updated",
    target: { type: "group", id },
    metadata: { from: { name: before.name, cpuMillis: before.cpuMillis, memoryMiB: before.memoryMiB }, to: { name: g.name, cpuMillis: g.cpuMillis, memoryMiB: g.memoryMiB } },
  });
  return view(g);
}

export async function deleteGroup(ctx: TenantContext, id: string) {
  const members = await ctx.db.groupMember.findMany({ where: { groupId: id }, select: { userId: true } });
  const { count } = await ctx.db.group.deleteMany({ where: { id } });
  if (!count) throw notFound("group");
  await ctx.audit({ action: "group.deleted", target: { type: "group", id } });
  // Its members lose the apps shared through it: their open workspaces are re-checked on every replica.
  for (const m of members) await publishUserAccessChanged({ tenantId: ctx.tenantId, userId: m.userId }).catch(() => undefined);
}
