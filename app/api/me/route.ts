import { apiRoute } from "@/lib/http/api-route";
import { describeMe } from "@/lib/users/describe-me";

export const GET = apiRoute({ auth: "self", allowExpiredPassword: true }, async (ctx) => describeMe(ctx));
