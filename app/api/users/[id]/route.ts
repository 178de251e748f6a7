import { apiRoute } from "@/lib/http/api-route";
import { getUser, updateUser } from "@/lib/users/manage-users";
import { updateUserSchema } from "@/lib/users/user-schemas";

export const GET = apiRoute({ auth: "tenant", permission: "users:read" }, async (ctx, { params }) => ({ user: await getUser(ctx, params.id!) }));
export const PATCH = apiRoute({ auth: "tenant", permission: "users:write", body: updateUserSchema }, async (ctx, { body, params }) => ({ user: await updateUser(ctx, params.id!, body) }));
