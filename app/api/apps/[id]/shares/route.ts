import { apiRoute } from "@/lib/http/api-route";
import { setShares, sharesSchema } from "@/lib/apps/manage-apps";

export const PUT = apiRoute({ auth: "tenant", permission: "apps:write", body: sharesSchema }, async (ctx, { body, params }) => ({ app: await setShares(ctx, params.id!, body.groupIds) }));
