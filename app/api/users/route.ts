import { apiRoute } from "@/lib/http/api-route";
import { inviteUser, listUsers } from "@/lib/users/manage-users";
import { createUserSchema, listUsersQuery } from "@/lib/users/user-schemas";

export const GET = apiRoute({ auth: "tenant", permission: "users:read", query: listUsersQuery }, async (ctx, { query }) => ({ users: await listUsers(ctx, query) }));
export const POST = apiRoute({ auth: "tenant", permission: "users:write", body: createUserSchema }, async (ctx, { body }) => inviteUser(ctx, body));
