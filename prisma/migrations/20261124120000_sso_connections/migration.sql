-- AlterTable
ALTER TABLE "users" ADD COLUMN     "sso_break_glass" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "sso_name_id" TEXT,
ADD COLUMN     "sso_name_id_format" TEXT,
ADD COLUMN     "sso_session_index" TEXT;

-- CreateTable
CREATE TABLE "sso_connections" (
    "tenant_id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "idp_entity_id" TEXT NOT NULL,
    "idp_sso_url" TEXT NOT NULL,
    "idp_slo_url" TEXT,
    "idp_certificates" TEXT[],
    "idp_wants_signed_requests" BOOLEAN NOT NULL DEFAULT false,
    "metadata_url" TEXT,
    "metadata_fetched_at" TIMESTAMP(3),
    "sp_key_enc" TEXT NOT NULL,
    "sp_certificate" TEXT NOT NULL,
    "sp_previous_key_enc" TEXT,
    "sp_previous_certificate" TEXT,
    "allow_idp_initiated" BOOLEAN NOT NULL DEFAULT false,
    "require_sso" BOOLEAN NOT NULL DEFAULT false,
    "want_assertions_signed" BOOLEAN NOT NULL DEFAULT true,
    "want_response_signed" BOOLEAN NOT NULL DEFAULT false,
    "allow_sha1" BOOLEAN NOT NULL DEFAULT false,
    "clock_skew_seconds" INTEGER NOT NULL DEFAULT 60,
    "attr_email" TEXT NOT NULL DEFAULT '',
    "attr_first_name" TEXT NOT NULL DEFAULT '',
    "attr_last_name" TEXT NOT NULL DEFAULT '',
    "attr_display_name" TEXT NOT NULL DEFAULT '',
    "attr_groups" TEXT NOT NULL DEFAULT '',
    "jit_enabled" BOOLEAN NOT NULL DEFAULT false,
    "jit_default_role" "Role" NOT NULL DEFAULT 'member',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sso_connections_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "sso_group_mappings" (
    "id" TEXT NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
    "tenant_id" TEXT NOT NULL,
    "idp_value" TEXT NOT NULL,
    "group_id" TEXT,
    "role" "Role",
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sso_group_mappings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sso_group_mappings_tenant_id_idx" ON "sso_group_mappings"("tenant_id");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_sso_name_id_idx" ON "sessions"("tenant_id", "sso_name_id");

-- AddForeignKey
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_group_mappings" ADD CONSTRAINT "sso_group_mappings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_group_mappings" ADD CONSTRAINT "sso_group_mappings_tenant_id_group_id_fkey" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Integrity rules Prisma's schema language cannot express.
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_certificates_present" CHECK (cardinality("idp_certificates") BETWEEN 1 AND 10);
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_clock_skew_bounds" CHECK ("clock_skew_seconds" BETWEEN 0 AND 300);
ALTER TABLE "sso_group_mappings" ADD CONSTRAINT "sso_group_mappings_grants_something" CHECK ("group_id" IS NOT NULL OR "role" IS NOT NULL);
