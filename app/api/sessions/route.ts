import { apiRoute } from "@/lib/http/api-route";
import { listActiveSessions, listSessionsQuery } from "@/lib/auth/manage-sessions";

export const GET = apiRoute({ auth: "tenant", permission: "sessions:read", query: listSessionsQuery }, async (ctx, { query }) => ({ sessions: await listActiveSessions(ctx, query) }));
