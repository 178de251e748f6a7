import { z } from "zod";
import { apiRoute } from "@/lib/http/api-route";
import { consumeSetPasswordLink } from "@/lib/auth/consume-set-password-link";

const body = z
  .object({
    token: z.string({ error: "token is required." }).min(1, "token is required.").max(200),
    password: z.string({ error: "Password is required." }).min(1, "Password is required.").max(1024, "Use at most 256 characters."),
  })
  .strict();

export const POST = apiRoute({ auth: "public", body }, async (ctx, { body }) => consumeSetPasswordLink(body.token, body.password, ctx.meta));
