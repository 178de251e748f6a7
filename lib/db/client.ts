import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { config } from "@/lib/config";

// One client per process; Next's dev server re-evaluates modules, so keep it on globalThis.
const globalForDb = globalThis as unknown as { atriumDb?: PrismaClient };

export function db(): PrismaClient {
  globalForDb.atriumDb ??= new PrismaClient({ adapter: new PrismaPg({ connectionString: config().DATABASE_URL, max: 20 }) });
  return globalForDb.atriumDb;
}

export async function closeDb(): Promise<void> {
  await globalForDb.atriumDb?.$disconnect();
  globalForDb.atriumDb = undefined;
}
