import { apiRoute } from "@/lib/http/api-route";
import { signOutEverywhere } from "@/lib/auth/manage-sessions";

export const POST = apiRoute({ auth: "self", allowExpiredPassword: true }, async (ctx) => signOutEverywhere(ctx));
