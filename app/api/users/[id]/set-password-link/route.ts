import { apiRoute } from "@/lib/http/api-route";
import { reissueSetPasswordLink } from "@/lib/users/manage-users";

export const POST = apiRoute({ auth: "tenant", permission: "users:write" }, async (ctx, { params }) => reissueSetPasswordLink(ctx, params.id!));
