import { apiRoute } from "@/lib/http/api-route";
import { notFound } from "@/lib/http/errors";
import { workspaceCall } from "@/lib/workspace/runtime";

export const DELETE = apiRoute({ auth: "tenant", permission: "engines:write" }, async (ctx, { params }) => {
  const engine = await ctx.db.engine.findFirst({ where: { id: params.id!, status: { in: ["starting", "running"] } }, select: { id: true } });
  if (!engine) throw notFound("engine");
  await workspaceCall((s) => s.stopEngine(engine.id, "stopped by an administrator", 4404));
  await ctx.audit({ action: "engine.stopped", target: { type: "engine", id: engine.id } });
  return { ok: true };
});
