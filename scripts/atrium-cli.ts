import { parseArgs } from "node:util";
import { closeDb, db } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { createTenant, createTenantSchema } from "@/lib/tenancy/create-tenant";
import { hashPassword } from "@/lib/auth/password-hashing";
import { AppError } from "@/lib/http/errors";

/**
 * Operator command line.
 *   npm run atrium -- tenant:create --slug acme --name "Acme Corp" --domain acme.com --admin-email it@acme.com [--admin-name "Ina"]
 *   npm run atrium -- operator:create --email ops@example.com   (password read from ATRIUM_OPERATOR_PASSWORD)
 */
const USAGE = `commands:
  tenant:create --slug SLUG --name NAME [--domain DOMAIN ...] --admin-email EMAIL [--admin-name NAME]
  operator:create --email EMAIL   (password from ATRIUM_OPERATOR_PASSWORD)`;

const [command, ...rest] = process.argv.slice(2);
let values: { slug?: string; name?: string; domain?: string[]; "admin-email"?: string; "admin-name"?: string; email?: string };
try {
  ({ values } = parseArgs({
    args: rest,
    options: {
      slug: { type: "string" },
      name: { type: "string" },
      domain: { type: "string", multiple: true },
      "admin-email": { type: "string" },
      "admin-name": { type: "string" },
      email: { type: "string" },
    },
  }));
} catch (e) {
  // Node explains the problem well (unknown option, missing value); without the stack trace.
  console.error(`error: ${(e as Error).message.split("\n")[0]}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<number> {
  switch (command) {
    case "tenant:create": {
      const input = createTenantSchema.safeParse({
        slug: values.slug,
        name: values.name,
        domains: values.domain ?? [],
        admin: { email: values["admin-email"], name: values["admin-name"] ?? "" },
      });
      if (!input.success) {
        for (const i of input.error.issues) console.error(`error: ${i.path.join(".") || "input"}: ${i.message}`);
        return 2;
      }
      const r = await createTenant(input.data, { type: "system", label: "cli" });
      console.log(`Created tenant ${r.tenant.slug} (${r.tenant.id}).`);
      console.log(`First admin ${r.admin.email} sets a password here (one time, until ${r.expiresAt.toISOString()}):\n  ${r.setPasswordUrl}`);
      return 0;
    }
    case "operator:create": {
      const email = values.email?.trim().toLowerCase();
      const password = process.env.ATRIUM_OPERATOR_PASSWORD;
      if (!email || !password || password.length < 12) {
        console.error("usage: operator:create --email EMAIL, with ATRIUM_OPERATOR_PASSWORD (12+ characters) in the environment");
        return 2;
      }
      await db().operator.create({ data: { email, passwordHash: await hashPassword(password) } });
      console.log(`Created operator ${email}.`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (e instanceof AppError) {
    console.error(`error: ${e.message}`);
    code = 2;
  } else throw e;
} finally {
  await closeDb();
  await closeRedis();
}
process.exit(code);
