import { apiRoute } from "@/lib/http/api-route";
import { createGroup, createGroupSchema, listGroups } from "@/lib/groups/manage-groups";

export const GET = apiRoute({ auth: "tenant", permission: "groups:read" }, async (ctx) => ({ groups: await listGroups(ctx) }));
export const POST = apiRoute({ auth: "tenant", permission: "groups:write", body: createGroupSchema }, async (ctx, { body }) => ({ group: await createGroup(ctx, body) }));
