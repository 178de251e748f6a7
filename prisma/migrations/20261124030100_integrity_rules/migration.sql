-- Rules the Prisma schema language cannot express.

-- A session belongs to exactly one principal: a tenant user (with its tenant) or a platform operator.
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_one_principal" CHECK (
  ("user_id" IS NOT NULL AND "tenant_id" IS NOT NULL AND "operator_id" IS NULL)
  OR ("user_id" IS NULL AND "tenant_id" IS NULL AND "operator_id" IS NOT NULL)
);

-- Policy bounds are enforced by the API with clear messages; the database refuses nonsense regardless.
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_session_policy_sane" CHECK (
  "session_idle_seconds" > 0 AND "session_max_seconds" > 0 AND "session_idle_seconds" <= "session_max_seconds"
);
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_slug_format" CHECK ("slug" ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$');
ALTER TABLE "tenant_domains" ADD CONSTRAINT "tenant_domains_lowercase" CHECK ("domain" = lower("domain"));
ALTER TABLE "users" ADD CONSTRAINT "users_email_lowercase" CHECK ("email" = lower("email"));

-- The audit trail is append-only: nothing, not even the application, may rewrite history.
-- (Tenant deletion keeps the events: tenant_id is set to NULL by the foreign key, which is the one update allowed.)
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW."tenant_id" IS NULL AND OLD."tenant_id" IS NOT NULL
     AND (to_jsonb(NEW) - 'tenant_id') = (to_jsonb(OLD) - 'tenant_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_events_no_rewrite" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
