import { defineConfig } from "prisma/config";

// Only `prisma generate` is used by the project's scripts (migrations are applied by
// scripts/migrate.ts). DATABASE_URL is optional here so generate works without a database.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/atrium" },
});
