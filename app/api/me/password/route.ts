import { apiRoute } from "@/lib/http/api-route";
import { changeOwnPassword, changePasswordSchema } from "@/lib/auth/manage-sessions";

export const POST = apiRoute({ auth: "self", allowExpiredPassword: true, body: changePasswordSchema }, async (ctx, { body }) => changeOwnPassword(ctx, body));
