import { z } from "zod";
import { config } from "@/lib/config";
import type { TenantContext } from "@/lib/http/api-route";
import { idSchema } from "@/lib/http/api-route";
import { AppError, badRequest, conflict, notFound } from "@/lib/http/errors";
import { db } from "@/lib/db/client";
import type { SsoConnection as SsoRow } from "@/lib/generated/prisma/client";
import { SAML_ATTRIBUTE_DEFAULTS } from "./attribute-defaults";
import { generateSpKeyPair, sealSpKey, spEndpoints, ssoAttributesOf, ssoPolicyOf } from "./connection";
import { certificateInfo, checkIdpUrl, fetchMetadataXml, parseIdpMetadata, type CertificateInfo, type IdpMetadata } from "./metadata-import";
import { buildSpMetadataXml } from "./sp-metadata";

/**
 * The tenant admin's side of SAML SSO (app/api/sso/*, docs/sso.md "Configuration"): reading and saving the
 * connection, metadata import, IdP certificate rollover, SP key rotation, group mappings, break-glass users and the
 * require-SSO lockout protection. Private keys are generated and sealed here and never leave: every view below
 * carries certificates only.
 */

const allowPrivate = () => config().SSO_METADATA_ALLOW_PRIVATE;
const MAX_IDP_CERTS = 10;

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

const tenantSlug = async (tenantId: string) => (await db().tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { slug: true } })).slug;

function certsOf(pems: string[]): CertificateInfo[] {
  return pems.map((pem, i) => certificateInfo(pem, new Date(), `Stored IdP certificate ${i + 1}`));
}

export async function getSso(ctx: TenantContext) {
  const [row, slug, mappings, admins] = await Promise.all([
    ctx.db.ssoConnection.findFirst({ where: {} }),
    tenantSlug(ctx.tenantId),
    ctx.db.ssoGroupMapping.findMany({ orderBy: [{ idpValue: "asc" }, { createdAt: "asc" }], include: { group: { select: { name: true } } } }),
    ctx.db.user.findMany({
      where: { role: { in: ["owner", "admin"] } },
      orderBy: { email: "asc" },
      select: { id: true, email: true, name: true, role: true, status: true, ssoBreakGlass: true, passwordHash: true },
    }),
  ]);
  const endpoints = spEndpoints(slug);
  return {
    configured: row !== null,
    connection: row ? connectionView(row) : null,
    sp: {
      ...endpoints,
      testUrl: `${endpoints.loginUrl}?mode=test`,
      certificate: row ? certificateInfo(row.spCertificate) : null,
      previousCertificate: row?.spPreviousCertificate ? certificateInfo(row.spPreviousCertificate) : null,
    },
    attributeDefaults: SAML_ATTRIBUTE_DEFAULTS,
    groupMappings: mappings.map(mappingView),
    breakGlass: {
      candidates: admins.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        status: u.status,
        hasPassword: u.passwordHash !== null,
        breakGlass: u.ssoBreakGlass,
        usable: usableBreakGlass(u),
      })),
    },
    allowPrivate: allowPrivate(),
  };
}

function connectionView(row: SsoRow) {
  return {
    enabled: row.enabled,
    idp: {
      entityId: row.idpEntityId,
      ssoUrl: row.idpSsoUrl,
      sloUrl: row.idpSloUrl,
      wantsSignedRequests: row.idpWantsSignedRequests,
      certificates: certsOf(row.idpCertificates),
    },
    metadataUrl: row.metadataUrl,
    metadataFetchedAt: row.metadataFetchedAt?.toISOString() ?? null,
    policy: ssoPolicyOf(row),
    attributes: ssoAttributesOf(row),
    jit: { enabled: row.jitEnabled, defaultRole: row.jitDefaultRole },
    updatedAt: row.updatedAt.toISOString(),
  };
}

function mappingView(m: { id: string; idpValue: string; groupId: string | null; role: string | null; group: { name: string } | null }) {
  return { id: m.id, idpValue: m.idpValue, groupId: m.groupId, groupName: m.group?.name ?? null, role: m.role };
}

// ---------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------

const attrName = z.string().trim().max(256, "must be at most 256 characters").regex(/^[^\s<>"']*$/, "must not contain spaces, quotes or angle brackets");
const grantableRole = z.enum(["member", "editor", "admin"], { error: "must be member, editor or admin (never owner)" });

export const putSsoSchema = z
  .object({
    entityId: z.string().trim().min(1, "is required").max(1024),
    ssoUrl: z.string().trim().min(1, "is required").max(2048),
    sloUrl: z.string().trim().max(2048).nullable(),
    certificates: z.array(z.string().max(16_384)).min(1, "needs at least one IdP signing certificate").max(MAX_IDP_CERTS),
    wantsSignedRequests: z.boolean(),
    enabled: z.boolean(),
    allowIdpInitiated: z.boolean(),
    requireSso: z.boolean(),
    clockSkewSeconds: z.number().int().min(0).max(300),
    wantAssertionsSigned: z.boolean(),
    wantResponseSigned: z.boolean(),
    allowSha1: z.boolean(),
    attributes: z.object({ email: attrName, firstName: attrName, lastName: attrName, displayName: attrName, groups: attrName }).partial().strict(),
    jit: z.object({ enabled: z.boolean(), defaultRole: grantableRole }).partial().strict(),
  })
  .partial()
  .strict();
export type PutSso = z.infer<typeof putSsoSchema>;

type IdpFields = Pick<SsoRow, "idpEntityId" | "idpSsoUrl" | "idpSloUrl" | "idpCertificates" | "idpWantsSignedRequests">;

function idpFieldsFrom(input: { entityId: string; ssoUrl: string; sloUrl: string | null; certificates: string[]; wantsSignedRequests: boolean }): IdpFields {
  const certs = input.certificates.map((pem, i) => certificateInfo(pem, new Date(), `Certificate ${i + 1}`));
  const unique = certs.filter((c, i) => certs.findIndex((d) => d.fingerprint === c.fingerprint) === i);
  return {
    idpEntityId: input.entityId,
    idpSsoUrl: checkIdpUrl(input.ssoUrl, "The IdP sign-in (SSO) URL", { allowHttp: allowPrivate() }),
    idpSloUrl: input.sloUrl ? checkIdpUrl(input.sloUrl, "The IdP logout (SLO) URL", { allowHttp: allowPrivate() }) : null,
    idpCertificates: unique.map((c) => c.pem),
    idpWantsSignedRequests: input.wantsSignedRequests,
  };
}

async function newSpKeyColumns(ctx: TenantContext) {
  const slug = await tenantSlug(ctx.tenantId);
  const pair = await generateSpKeyPair(`Atrium SAML SP ${slug}`);
  return { spKeyEnc: sealSpKey(pair.privateKey), spCertificate: pair.certificate };
}

/** Break-glass users who can actually sign in with a password: active owner/admin with a password set. */
function usableBreakGlass(u: { role: string; status: string; ssoBreakGlass: boolean; passwordHash: string | null }): boolean {
  return u.ssoBreakGlass && (u.role === "owner" || u.role === "admin") && u.status === "active" && u.passwordHash !== null;
}

async function usableBreakGlassCount(ctx: TenantContext, breakGlassIds?: string[]): Promise<number> {
  const users = await ctx.db.user.findMany({
    where: breakGlassIds ? { id: { in: breakGlassIds } } : { ssoBreakGlass: true },
    select: { role: true, status: true, ssoBreakGlass: true, passwordHash: true },
  });
  return users.filter((u) => usableBreakGlass({ ...u, ssoBreakGlass: true })).length;
}

/**
 * Refuses a user change (demotion below admin, disabling) that would leave a tenant requiring SSO without a usable
 * break-glass administrator — the users API calls this so the lockout protection holds from every side.
 */
export async function assertBreakGlassSurvives(ctx: TenantContext, userId: string, change: { role?: string; status?: string }): Promise<void> {
  const conn = await ctx.db.ssoConnection.findFirst({ where: {}, select: { enabled: true, requireSso: true } });
  if (!conn?.enabled || !conn.requireSso) return;
  const user = await ctx.db.user.findUnique({ where: { id: userId }, select: { role: true, status: true, ssoBreakGlass: true, passwordHash: true } });
  if (!user || !usableBreakGlass(user)) return;
  if (usableBreakGlass({ ...user, role: change.role ?? user.role, status: change.status ?? user.status })) return;
  if ((await usableBreakGlassCount(ctx)) > 1) return;
  throw new AppError(409, "last_break_glass", "This is the last break-glass administrator of an organisation that requires SSO; mark another owner or administrator as break-glass first (Admin → Single sign-on).");
}

const lockoutRefusal = (why: string) =>
  new AppError(409, "require_sso_refused", `Require SSO cannot be on ${why}: otherwise nobody could sign in if the IdP fails. ${"Enable SSO and mark at least one active owner or administrator with a password as break-glass first."}`);

/** Refuses a state in which requireSso is on but the tenant could lock itself out. */
async function checkLockout(ctx: TenantContext, next: { enabled: boolean; requireSso: boolean }, breakGlassIds?: string[]) {
  if (!next.requireSso) return;
  if (!next.enabled) throw lockoutRefusal("while SSO is disabled");
  if ((await usableBreakGlassCount(ctx, breakGlassIds)) === 0) throw lockoutRefusal("without a break-glass administrator");
}

function checkSignaturePolicy(next: { wantAssertionsSigned: boolean; wantResponseSigned: boolean }) {
  if (!next.wantAssertionsSigned && !next.wantResponseSigned) throw badRequest("Require signed assertions, signed responses, or both; Atrium never accepts unsigned SAML.");
}

export async function putSso(ctx: TenantContext, body: PutSso) {
  const row = await ctx.db.ssoConnection.findFirst({ where: {} });
  const idpGiven = body.entityId !== undefined || body.ssoUrl !== undefined || body.sloUrl !== undefined || body.certificates !== undefined || body.wantsSignedRequests !== undefined;
  if (!row && (body.entityId === undefined || body.ssoUrl === undefined || body.certificates === undefined)) {
    throw badRequest("The first configuration needs the IdP's entityId, ssoUrl and certificates (or import its metadata).");
  }
  const idp = idpGiven
    ? idpFieldsFrom({
        entityId: body.entityId ?? row!.idpEntityId,
        ssoUrl: body.ssoUrl ?? row!.idpSsoUrl,
        sloUrl: body.sloUrl === undefined ? (row?.idpSloUrl ?? null) : body.sloUrl || null,
        certificates: body.certificates ?? row!.idpCertificates,
        wantsSignedRequests: body.wantsSignedRequests ?? row?.idpWantsSignedRequests ?? false,
      })
    : {};
  const data = {
    ...idp,
    ...(body.enabled !== undefined && { enabled: body.enabled }),
    ...(body.allowIdpInitiated !== undefined && { allowIdpInitiated: body.allowIdpInitiated }),
    ...(body.requireSso !== undefined && { requireSso: body.requireSso }),
    ...(body.clockSkewSeconds !== undefined && { clockSkewSeconds: body.clockSkewSeconds }),
    ...(body.wantAssertionsSigned !== undefined && { wantAssertionsSigned: body.wantAssertionsSigned }),
    ...(body.wantResponseSigned !== undefined && { wantResponseSigned: body.wantResponseSigned }),
    ...(body.allowSha1 !== undefined && { allowSha1: body.allowSha1 }),
    ...(body.attributes?.email !== undefined && { attrEmail: body.attributes.email }),
    ...(body.attributes?.firstName !== undefined && { attrFirstName: body.attributes.firstName }),
    ...(body.attributes?.lastName !== undefined && { attrLastName: body.attributes.lastName }),
    ...(body.attributes?.displayName !== undefined && { attrDisplayName: body.attributes.displayName }),
    ...(body.attributes?.groups !== undefined && { attrGroups: body.attributes.groups }),
    ...(body.jit?.enabled !== undefined && { jitEnabled: body.jit.enabled }),
    ...(body.jit?.defaultRole !== undefined && { jitDefaultRole: body.jit.defaultRole }),
  };
  const next = {
    enabled: body.enabled ?? row?.enabled ?? false,
    requireSso: body.requireSso ?? row?.requireSso ?? false,
    wantAssertionsSigned: body.wantAssertionsSigned ?? row?.wantAssertionsSigned ?? true,
    wantResponseSigned: body.wantResponseSigned ?? row?.wantResponseSigned ?? false,
  };
  checkSignaturePolicy(next);
  await checkLockout(ctx, next);

  if (!row) {
    const keys = await newSpKeyColumns(ctx);
    await ctx.db.ssoConnection.create({ data: { ...(data as typeof data & IdpFields), ...keys, tenantId: ctx.tenantId } });
    await ctx.audit({ action: "sso.created", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { changed: Object.keys(data), source: "manual" } });
  } else {
    await ctx.db.ssoConnection.update({ where: { tenantId: ctx.tenantId }, data });
    const changed = Object.keys(data).filter((k) => JSON.stringify((row as Record<string, unknown>)[k]) !== JSON.stringify((data as Record<string, unknown>)[k]));
    await ctx.audit({ action: "sso.updated", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { changed } });
  }
  if (next.enabled !== (row?.enabled ?? false)) {
    await ctx.audit({ action: next.enabled ? "sso.enabled" : "sso.disabled", target: { type: "sso_connection", id: ctx.tenantId } });
  }
  if (next.requireSso !== (row?.requireSso ?? false)) {
    await ctx.audit({ action: "sso.require_sso_changed", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { from: row?.requireSso ?? false, to: next.requireSso } });
  }
  return getSso(ctx);
}

// ---------------------------------------------------------------------------
// Metadata import
// ---------------------------------------------------------------------------

export const importMetadataSchema = z.union([
  z.object({ url: z.string().trim().min(1, "is required").max(2048) }).strict(),
  z.object({ xml: z.string().min(1, "is required").max(1024 * 1024, "is larger than 1 MiB") }).strict(),
], { error: "send either {url} or {xml}" });

export async function importMetadata(ctx: TenantContext, body: z.infer<typeof importMetadataSchema>) {
  const source = "url" in body ? "url" : "xml";
  let md: IdpMetadata;
  try {
    const xml = "url" in body ? await fetchMetadataXml(body.url, { allowPrivate: allowPrivate() }) : body.xml;
    md = parseIdpMetadata(xml, new Date(), { allowHttp: allowPrivate() });
  } catch (err) {
    if (err instanceof AppError) {
      await ctx.audit({
        action: "sso.metadata_import_refused",
        outcome: "failure",
        reason: err.code,
        target: { type: "sso_connection", id: ctx.tenantId },
        metadata: { source, ...("url" in body && { url: body.url.slice(0, 300) }), message: err.message.slice(0, 500) },
      });
      throw new AppError(err.status, err.code, err.message, err.details, true);
    }
    throw err;
  }
  const idp = idpFieldsFrom({ entityId: md.entityId, ssoUrl: md.ssoUrl, sloUrl: md.sloUrl, certificates: md.certificates.map((c) => c.pem), wantsSignedRequests: md.wantsSignedRequests });
  const meta = { metadataUrl: "url" in body ? new URL(body.url).toString() : null, metadataFetchedAt: new Date() };
  const row = await ctx.db.ssoConnection.findFirst({ where: {} });
  if (!row) {
    await ctx.db.ssoConnection.create({ data: { ...idp, ...meta, ...(await newSpKeyColumns(ctx)), tenantId: ctx.tenantId } });
  } else {
    await ctx.db.ssoConnection.update({ where: { tenantId: ctx.tenantId }, data: { ...idp, ...meta } });
  }
  await ctx.audit({
    action: "sso.metadata_imported",
    target: { type: "sso_connection", id: ctx.tenantId },
    metadata: { source, created: !row, url: meta.metadataUrl, entityId: md.entityId, certificates: md.certificates.map((c) => c.fingerprint) },
  });
  return { ...(await getSso(ctx)), imported: { entityId: md.entityId, ssoUrl: md.ssoUrl, sloUrl: md.sloUrl, wantsSignedRequests: md.wantsSignedRequests, certificates: md.certificates } };
}

// ---------------------------------------------------------------------------
// IdP certificate rollover, SP key rotation
// ---------------------------------------------------------------------------

async function requireRow(ctx: TenantContext): Promise<SsoRow> {
  const row = await ctx.db.ssoConnection.findFirst({ where: {} });
  if (!row) throw new AppError(404, "not_found", "SSO is not configured for this organisation yet.");
  return row;
}

export const addCertificateSchema = z.object({ certificate: z.string().min(1, "is required").max(16_384) }).strict();

export async function addIdpCertificate(ctx: TenantContext, pem: string) {
  const row = await requireRow(ctx);
  const info = certificateInfo(pem);
  if (certsOf(row.idpCertificates).some((c) => c.fingerprint === info.fingerprint)) throw conflict("That certificate is already configured.");
  if (row.idpCertificates.length >= MAX_IDP_CERTS) throw conflict(`At most ${MAX_IDP_CERTS} IdP certificates; remove an old one first.`);
  await ctx.db.ssoConnection.update({ where: { tenantId: ctx.tenantId }, data: { idpCertificates: [...row.idpCertificates, info.pem] } });
  await ctx.audit({ action: "sso.certificate_added", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { fingerprint: info.fingerprint, subject: info.subject, notAfter: info.notAfter } });
  return getSso(ctx);
}

export async function removeIdpCertificate(ctx: TenantContext, fingerprint: string) {
  const row = await requireRow(ctx);
  const fp = fingerprint.toLowerCase().replace(/:/g, "");
  const certs = certsOf(row.idpCertificates);
  const target = certs.find((c) => c.fingerprint === fp);
  if (!target) throw notFound("certificate");
  if (certs.length === 1) throw conflict("This is the IdP's only signing certificate; add its successor before removing it.");
  await ctx.db.ssoConnection.update({ where: { tenantId: ctx.tenantId }, data: { idpCertificates: certs.filter((c) => c.fingerprint !== fp).map((c) => c.pem) } });
  await ctx.audit({ action: "sso.certificate_removed", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { fingerprint: fp, subject: target.subject } });
  return getSso(ctx);
}

export async function rotateSpKey(ctx: TenantContext) {
  const row = await requireRow(ctx);
  if (row.spPreviousKeyEnc) throw conflict("A previous SP certificate is still active; retire it before rotating again.");
  const keys = await newSpKeyColumns(ctx);
  await ctx.db.ssoConnection.update({
    where: { tenantId: ctx.tenantId },
    data: { spPreviousKeyEnc: row.spKeyEnc, spPreviousCertificate: row.spCertificate, ...keys },
  });
  await ctx.audit({
    action: "sso.sp_key_rotated",
    target: { type: "sso_connection", id: ctx.tenantId },
    metadata: { previous: certificateInfo(row.spCertificate).fingerprint, current: certificateInfo(keys.spCertificate).fingerprint },
  });
  return getSso(ctx);
}

export async function retirePreviousSpKey(ctx: TenantContext) {
  const row = await requireRow(ctx);
  if (!row.spPreviousCertificate) throw new AppError(404, "not_found", "There is no previous SP certificate to retire.");
  await ctx.db.ssoConnection.update({ where: { tenantId: ctx.tenantId }, data: { spPreviousKeyEnc: null, spPreviousCertificate: null } });
  await ctx.audit({ action: "sso.sp_key_retired", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { fingerprint: certificateInfo(row.spPreviousCertificate).fingerprint } });
  return getSso(ctx);
}

export async function spMetadataResponse(ctx: TenantContext): Promise<Response> {
  const row = await requireRow(ctx);
  const slug = await tenantSlug(ctx.tenantId);
  const xml = buildSpMetadataXml({
    sp: { ...spEndpoints(slug), certificate: row.spCertificate, previousCertificate: row.spPreviousCertificate },
    idp: { wantsSignedRequests: row.idpWantsSignedRequests },
  });
  return new Response(xml, {
    status: 200,
    headers: { "content-type": "application/samlmetadata+xml; charset=utf-8", "content-disposition": `attachment; filename="atrium-sp-metadata-${slug}.xml"` },
  });
}

// ---------------------------------------------------------------------------
// Group mappings
// ---------------------------------------------------------------------------

export const mappingSchema = z
  .object({
    idpValue: z.string().trim().min(1, "is required").max(512),
    groupId: idSchema.nullable().optional(),
    role: grantableRole.nullable().optional(),
  })
  .strict()
  .refine((m) => m.groupId || m.role, { message: "map the IdP value to a group, a role, or both" });
export const mappingPatchSchema = z
  .object({ idpValue: z.string().trim().min(1).max(512), groupId: idSchema.nullable(), role: grantableRole.nullable() })
  .partial()
  .strict();

async function checkGroup(ctx: TenantContext, groupId: string | null | undefined) {
  if (!groupId) return;
  // Scoped: another tenant's group is simply not found.
  if (!(await ctx.db.group.findFirst({ where: { id: groupId }, select: { id: true } }))) throw badRequest("groupId: no such group in this organisation.");
}

export async function listMappings(ctx: TenantContext) {
  const rows = await ctx.db.ssoGroupMapping.findMany({ orderBy: [{ idpValue: "asc" }, { createdAt: "asc" }], include: { group: { select: { name: true } } } });
  return { groupMappings: rows.map(mappingView) };
}

export async function createMapping(ctx: TenantContext, body: z.infer<typeof mappingSchema>) {
  await checkGroup(ctx, body.groupId);
  const m = await ctx.db.ssoGroupMapping.create({
    data: { tenantId: ctx.tenantId, idpValue: body.idpValue, groupId: body.groupId ?? null, role: body.role ?? null },
    include: { group: { select: { name: true } } },
  });
  await ctx.audit({ action: "sso.group_mapping_created", target: { type: "sso_group_mapping", id: m.id }, metadata: { idpValue: m.idpValue, groupId: m.groupId, role: m.role } });
  return { groupMapping: mappingView(m) };
}

export async function updateMapping(ctx: TenantContext, id: string, body: z.infer<typeof mappingPatchSchema>) {
  const before = await ctx.db.ssoGroupMapping.findFirst({ where: { id } });
  if (!before) throw notFound("group mapping");
  await checkGroup(ctx, body.groupId);
  const groupId = body.groupId === undefined ? before.groupId : body.groupId;
  const role = body.role === undefined ? before.role : body.role;
  if (!groupId && !role) throw badRequest("map the IdP value to a group, a role, or both");
  await ctx.db.ssoGroupMapping.updateMany({ where: { id }, data: { idpValue: body.idpValue ?? before.idpValue, groupId, role } });
  const m = await ctx.db.ssoGroupMapping.findFirstOrThrow({ where: { id }, include: { group: { select: { name: true } } } });
  await ctx.audit({
    action: "sso.group_mapping_updated",
    target: { type: "sso_group_mapping", id },
    metadata: { from: { idpValue: before.idpValue, groupId: before.groupId, role: before.role }, to: { idpValue: m.idpValue, groupId: m.groupId, role: m.role } },
  });
  return { groupMapping: mappingView(m) };
}

export async function deleteMapping(ctx: TenantContext, id: string) {
  const before = await ctx.db.ssoGroupMapping.findFirst({ where: { id } });
  if (!before) throw notFound("group mapping");
  await ctx.db.ssoGroupMapping.deleteMany({ where: { id } });
  await ctx.audit({ action: "sso.group_mapping_deleted", target: { type: "sso_group_mapping", id }, metadata: { idpValue: before.idpValue, groupId: before.groupId, role: before.role } });
  return { ok: true };
}

// ---------------------------------------------------------------------------
// Break-glass
// ---------------------------------------------------------------------------

export const breakGlassSchema = z.object({ userIds: z.array(idSchema).max(50) }).strict();

/** Sets the tenant's break-glass users to exactly `userIds` (owners/admins only). */
export async function setBreakGlass(ctx: TenantContext, userIds: string[]) {
  const ids = [...new Set(userIds)];
  const users = await ctx.db.user.findMany({ where: { id: { in: ids } }, select: { id: true, role: true, email: true } });
  if (users.length !== ids.length) throw badRequest("userIds: no such user in this organisation.");
  const notAdmin = users.find((u) => u.role !== "owner" && u.role !== "admin");
  if (notAdmin) throw badRequest(`Only owners and administrators can be break-glass users (${notAdmin.email} is ${notAdmin.role === "editor" ? "an" : "a"} ${notAdmin.role}).`);
  const row = await ctx.db.ssoConnection.findFirst({ where: {} });
  if (row?.requireSso) await checkLockout(ctx, { enabled: row.enabled, requireSso: true }, ids);
  const before = (await ctx.db.user.findMany({ where: { ssoBreakGlass: true }, select: { id: true } })).map((u) => u.id);
  await db().$transaction([
    db().user.updateMany({ where: { tenantId: ctx.tenantId, ssoBreakGlass: true, id: { notIn: ids } }, data: { ssoBreakGlass: false } }),
    db().user.updateMany({ where: { tenantId: ctx.tenantId, id: { in: ids } }, data: { ssoBreakGlass: true } }),
  ]);
  const added = ids.filter((id) => !before.includes(id));
  const removed = before.filter((id) => !ids.includes(id));
  if (added.length || removed.length) {
    await ctx.audit({ action: "sso.break_glass_changed", target: { type: "sso_connection", id: ctx.tenantId }, metadata: { added, removed } });
  }
  return getSso(ctx);
}
