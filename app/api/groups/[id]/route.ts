import { apiRoute } from "@/lib/http/api-route";
import { deleteGroup, getGroup, updateGroup, updateGroupSchema } from "@/lib/groups/manage-groups";

export const GET = apiRoute({ auth: "tenant", permission: "groups:read" }, async (ctx, { params }) => getGroup(ctx, params.id!));
export const PATCH = apiRoute({ auth: "tenant", permission: "groups:write", body: updateGroupSchema }, async (ctx, { body, params }) => ({ group: await updateGroup(ctx, params.id!, body) }));
export const DELETE = apiRoute({ auth: "tenant", permission: "groups:write" }, async (ctx, { params }) => {
  await deleteGroup(ctx, params.id!);
  return { ok: true };
});
