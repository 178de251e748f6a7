-- CreateEnum
CREATE TYPE "EngineStatus" AS ENUM ('starting', 'running', 'stopping', 'stopped', 'failed');

-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'editor';

-- CreateTable
CREATE TABLE "apps" (
    "id" TEXT NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "current_version" INTEGER NOT NULL DEFAULT 1,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "apps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app_versions" (
    "id" TEXT NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "nodes" JSONB NOT NULL,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app_shares" (
    "tenant_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "group_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_shares_pkey" PRIMARY KEY ("app_id","group_id")
);

-- CreateTable
CREATE TABLE "engines" (
    "id" TEXT NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "session_id" TEXT,
    "driver" TEXT NOT NULL,
    "state" JSONB NOT NULL DEFAULT '{}',
    "status" "EngineStatus" NOT NULL DEFAULT 'starting',
    "endpoint_host" TEXT,
    "endpoint_port" INTEGER,
    "secret_enc" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_activity_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stopped_at" TIMESTAMP(3),
    "failure_reason" TEXT,

    CONSTRAINT "engines_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "apps_tenant_id_idx" ON "apps"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "apps_tenant_id_id_key" ON "apps"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "app_versions_app_id_version_key" ON "app_versions"("app_id", "version");

-- CreateIndex
CREATE INDEX "app_shares_tenant_id_group_id_idx" ON "app_shares"("tenant_id", "group_id");

-- CreateIndex
CREATE INDEX "engines_tenant_id_status_idx" ON "engines"("tenant_id", "status");

-- CreateIndex
CREATE INDEX "engines_status_idx" ON "engines"("status");

-- CreateIndex
CREATE INDEX "engines_session_id_idx" ON "engines"("session_id");

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_versions" ADD CONSTRAINT "app_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_versions" ADD CONSTRAINT "app_versions_tenant_id_app_id_fkey" FOREIGN KEY ("tenant_id", "app_id") REFERENCES "apps"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_shares" ADD CONSTRAINT "app_shares_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_shares" ADD CONSTRAINT "app_shares_tenant_id_app_id_fkey" FOREIGN KEY ("tenant_id", "app_id") REFERENCES "apps"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_shares" ADD CONSTRAINT "app_shares_tenant_id_group_id_fkey" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engines" ADD CONSTRAINT "engines_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engines" ADD CONSTRAINT "engines_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "users"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engines" ADD CONSTRAINT "engines_tenant_id_app_id_fkey" FOREIGN KEY ("tenant_id", "app_id") REFERENCES "apps"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written rules the Prisma schema language cannot express.

-- At most one live engine per (user, app): two tabs, two replicas, one engine.
CREATE UNIQUE INDEX "engines_one_live_per_user_app" ON "engines"("tenant_id", "user_id", "app_id") WHERE "status" IN ('starting', 'running');

ALTER TABLE "apps" ADD CONSTRAINT "apps_name_sane" CHECK (length("name") BETWEEN 1 AND 120);
ALTER TABLE "app_versions" ADD CONSTRAINT "app_versions_positive" CHECK ("version" >= 1);
ALTER TABLE "app_versions" ADD CONSTRAINT "app_versions_nodes_array" CHECK (jsonb_typeof("nodes") = 'array');
ALTER TABLE "engines" ADD CONSTRAINT "engines_port_range" CHECK ("endpoint_port" IS NULL OR "endpoint_port" BETWEEN 1 AND 65535);
