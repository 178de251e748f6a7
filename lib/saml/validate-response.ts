/**
 * Hardened validation of a SAML 2.0 Web SSO Response (HTTP-POST binding) for one tenant's IdP.
 *
 * Layers, in order (the first failure wins and is reported with a stable reason code, see ./reasons.ts):
 *  1. RelayState must be a same-origin relative path (checked first: a hostile RelayState burns nothing).
 *  2. Size limit on the base64 text, strict base64, UTF-8 (./limits.ts).
 *  3. XML guard: no DTD/entities, strict parse, exactly one root (./xml-guard.ts).
 *  4. SAML structure: a samlp:Response root, unique IDs, Success status, exactly one (Encrypted)Assertion as a
 *     direct child, Signatures only as direct children of the Response / Assertion (at most one each), no
 *     comments inside identity values. Encrypted assertions are decrypted here (node-saml's xml-encryption) and
 *     the decrypted Assertion goes through the same guard.
 *  5. Signature policy and shape: required signatures present (signed assertions by default), one SignedInfo,
 *     one Reference pointing at the signature's own parent, only enveloped-signature + C14N transforms, no SHA-1
 *     unless allowed.
 *  6. Cryptography: every signature present must verify with a configured IdP certificate (xml-crypto, KeyInfo
 *     never trusted). A signature that only verifies with the certificate in its own KeyInfo is reported as
 *     `untrusted_certificate`.
 *  7. Our stateless checks of the assertion: Issuer (Response and Assertion), InResponseTo (always required when
 *     SP-initiated), time window with bounded clock skew and an injectable clock, Destination, bearer
 *     SubjectConfirmationData Recipient, Audience.
 *  8. node-saml's validatePostResponseAsync as the authoritative second gate (signature verification and
 *     decryption); its own time, audience and InResponseTo checks are switched off (they are ours).
 *  9. Step 7 again on the exact bytes node-saml verified (getAssertionXml); the profile is read from them, so a
 *     comment inside a value can never truncate it (exclusive C14N drops comments).
 * 10. Assertion-id replay cache, then 11. the pending request id is consumed (one-time).
 */
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import { decryptXml } from "@node-saml/node-saml/lib/xml";
import { SignedXml } from "xml-crypto";
import { decodePostBindingMessage, SAML_LIMITS } from "./limits";
import { samlFail, type SamlFailure } from "./reasons";
import {
  NS,
  childElements,
  descendants,
  findCommentInValues,
  findDuplicateId,
  firstChild,
  parseGuardedXml,
  textOf,
} from "./xml-guard";

export interface SamlValidationInput {
  /** The SAMLResponse form field as received (base64). */
  samlResponseB64: string;
  /** The RelayState form field, if any. */
  relayState?: string | null;
}

export interface SamlValidationSettings {
  /** Trusted IdP signing certificates (PEM or bare base64); more than one during a key rollover. */
  idpCerts: string[];
  idpEntityId: string;
  /** This SP's entity ID: the Audience that must appear in the assertion. */
  spEntityId: string;
  /** This SP's ACS URL: Destination and Recipient must equal it; its origin is the RelayState origin. */
  acsUrl: string;
  /** The id of the AuthnRequest we sent (SP-initiated) — from the user's login state; null/undefined = unsolicited. */
  expectedRequestId?: string | null;
  allowIdpInitiated: boolean;
  /** Allowed clock skew in seconds; default 60, bounded to [0, 300]. */
  clockSkewSeconds?: number;
  /** Clock for the time checks (tests); default: the current time. */
  now?: Date;
  /** Require the Assertion itself to be signed (default true). */
  wantAssertionsSigned?: boolean;
  /** Require the Response to be signed (default false: many IdPs sign only the assertion). */
  wantResponseSigned?: boolean;
  /** Accept RSA-SHA1 signatures and SHA-1 digests (default false). */
  allowSha1?: boolean;
  /** Require an AudienceRestriction (default true). When present, it is always checked. */
  requireAudience?: boolean;
  /** SP private key (PEM) to decrypt EncryptedAssertion. */
  decryptionKey?: string;
  /** Override of the base64 size limit (characters). */
  maxBase64Chars?: number;
}

export interface SamlValidationCaches {
  /** Deletes the pending request id; true only the first time for an id we issued (one-time). */
  consumeRequestId(id: string): Promise<boolean>;
  /** Records the assertion id until `until`; false when it was already seen (replay). */
  rememberAssertionId(id: string, until: Date): Promise<boolean>;
}

export interface SamlProfile {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** Attribute Name → values (text of each AttributeValue). */
  attributes: Record<string, string[]>;
  sessionNotOnOrAfter: Date | null;
  issuer: string;
  assertionId: string;
}

export type SamlValidationResult = { ok: true; profile: SamlProfile; relayState: string | null } | SamlFailure;

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export const MAX_CLOCK_SKEW_SECONDS = 300;

const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const ALLOWED_C14N = new Set([
  "http://www.w3.org/2001/10/xml-exc-c14n#",
  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
]);
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SIGNATURE_METHODS: Record<string, "ok" | "sha1"> = {
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "ok",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "ok",
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "sha1",
};
const DIGEST_METHODS: Record<string, "ok" | "sha1"> = {
  "http://www.w3.org/2001/04/xmlenc#sha256": "ok",
  "http://www.w3.org/2001/04/xmlenc#sha512": "ok",
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
};

// ---------------------------------------------------------------------------------------------------------------
// RelayState

/**
 * Returns the RelayState as a same-origin relative path (path + query + fragment), or null when it is not one:
 * absolute URLs (even same-origin), scheme-relative `//host`, backslashes, control characters and anything that
 * resolves to another origin are refused.
 */
export function safeRelayState(value: unknown, origin: string): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return null;
  let base: URL;
  let resolved: URL;
  try {
    base = new URL(origin);
    resolved = new URL(value, base.origin);
  } catch {
    return null;
  }
  if (resolved.origin !== base.origin) return null;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function toPem(cert: string): string {
  const t = cert.trim();
  if (t.startsWith("-----BEGIN")) return `${t.replace(/\r\n?/g, "\n")}\n`;
  const b64 = t.replace(/\s+/g, "");
  return `-----BEGIN CERTIFICATE-----\n${(b64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
}

function certBody(cert: string): string {
  return cert.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}

function idOf(el: Element): string | null {
  return el.getAttribute("ID") || el.getAttribute("Id") || el.getAttribute("id") || null;
}

/** xs:dateTime with an explicit zone (SAML requires UTC; "+00:00"-style offsets are accepted as unambiguous). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: string | null, what: string): Date | null | SamlFailure {
  if (value === null || value === "") return null;
  if (!ISO_UTC.test(value)) return samlFail("malformed", `${what} is not a UTC xs:dateTime: ${value}`);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? samlFail("malformed", `${what} is not a valid date: ${value}`) : d;
}

function isFailure(x: unknown): x is SamlFailure {
  return typeof x === "object" && x !== null && (x as { ok?: unknown }).ok === false;
}

function attr(el: Element | null, name: string): string | null {
  if (!el || !el.hasAttribute(name)) return null;
  return el.getAttribute(name);
}

/** Signatures must be direct children of `allowedParents`, at most one per parent. */
function checkSignaturePlacement(root: Element, allowedParents: Element[]): SamlFailure | null {
  const perParent = new Map<Element, number>();
  for (const sig of descendants(root, NS.ds, "Signature")) {
    const parent = sig.parentNode as Element | null;
    if (!parent || !allowedParents.includes(parent)) {
      return samlFail("signature_ambiguous", `a Signature is placed inside <${parent?.localName ?? "?"}>, not directly in the Response or the Assertion`);
    }
    const n = (perParent.get(parent) ?? 0) + 1;
    if (n > 1) return samlFail("signature_ambiguous", `the ${parent.localName} carries ${n} Signature elements`);
    perParent.set(parent, n);
  }
  return null;
}

/** Shape of one enveloped signature: one SignedInfo, one Reference to its parent, allowed transforms and algorithms. */
function checkSignatureShape(sig: Element, allowSha1: boolean): SamlFailure | null {
  const parent = sig.parentNode as Element;
  const what = `the ${parent.localName} signature`;
  const allSignedInfo = descendants(sig, NS.ds, "SignedInfo");
  const signedInfo = firstChild(sig, NS.ds, "SignedInfo");
  if (allSignedInfo.length > 1) return samlFail("signature_ambiguous", `${what} contains ${allSignedInfo.length} SignedInfo elements`);
  if (!signedInfo) return samlFail("signature_invalid", `${what} has no SignedInfo`);
  if (childElements(sig, NS.ds, "SignatureValue").length !== 1) return samlFail("signature_invalid", `${what} needs exactly one SignatureValue`);
  const refs = descendants(signedInfo, NS.ds, "Reference");
  if (refs.length !== 1) return samlFail("signature_ambiguous", `${what} has ${refs.length} Reference elements (exactly one is allowed)`);
  const ref = refs[0]!;
  const parentId = idOf(parent);
  const uri = ref.getAttribute("URI") ?? "";
  if (!parentId || uri !== `#${parentId}`) {
    return samlFail("not_covered_by_signature", `${what} references "${uri}", not its own ${parent.localName} (ID "${parentId ?? ""}")`);
  }
  const c14n = attr(firstChild(signedInfo, NS.ds, "CanonicalizationMethod"), "Algorithm");
  if (!c14n || !ALLOWED_C14N.has(c14n)) return samlFail("signature_transforms", `${what} uses canonicalization ${c14n ?? "(none)"}`);
  const transforms = descendants(ref, NS.ds, "Transform").map((t) => t.getAttribute("Algorithm") ?? "");
  if (transforms.length > 2) return samlFail("signature_transforms", `${what} lists ${transforms.length} transforms (at most enveloped-signature + C14N)`);
  if (new Set(transforms).size !== transforms.length) return samlFail("signature_transforms", `${what} repeats a transform`);
  for (const t of transforms) {
    if (t !== ENVELOPED && !ALLOWED_C14N.has(t)) return samlFail("signature_transforms", `${what} uses transform ${t}`);
  }
  const sm = attr(firstChild(signedInfo, NS.ds, "SignatureMethod"), "Algorithm") ?? "";
  const dm = attr(firstChild(ref, NS.ds, "DigestMethod"), "Algorithm") ?? "";
  const smKind = SIGNATURE_METHODS[sm];
  const dmKind = DIGEST_METHODS[dm];
  if (!allowSha1 && (smKind === "sha1" || dmKind === "sha1")) {
    return samlFail("sha1_refused", `${what} uses ${smKind === "sha1" ? `SignatureMethod ${sm}` : `DigestMethod ${dm}`}`);
  }
  if (!smKind) return samlFail("signature_invalid", `${what} uses an unsupported SignatureMethod ${sm || "(none)"}`);
  if (!dmKind) return samlFail("signature_invalid", `${what} uses an unsupported DigestMethod ${dm || "(none)"}`);
  return null;
}

function verifiesWith(xml: string, sig: Element, pem: string): boolean {
  try {
    const sx = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    sx.loadSignature(sig);
    return sx.checkSignature(xml) === true;
  } catch {
    return false;
  }
}

/** Verifies one signature with the trusted certificates only; diagnoses a KeyInfo-only signer as untrusted. */
function verifySignature(xml: string, sig: Element, trusted: string[]): SamlFailure | null {
  const normalized = xml.replace(/\r\n?/g, "\n");
  if (trusted.some((pem) => verifiesWith(normalized, sig, pem))) return null;
  const parent = (sig.parentNode as Element).localName;
  const trustedBodies = new Set(trusted.map(certBody));
  for (const x509 of descendants(sig, NS.ds, "X509Certificate")) {
    const body = certBody(textOf(x509));
    if (!body || trustedBodies.has(body)) continue;
    if (verifiesWith(normalized, sig, toPem(body))) {
      return samlFail("untrusted_certificate", `the ${parent} signature was made by the certificate in its KeyInfo, which is not a configured IdP certificate`);
    }
  }
  return samlFail("signature_invalid", `the ${parent} signature does not verify with the configured IdP certificate(s)`);
}

function mapNodeSamlError(err: unknown): SamlFailure {
  const msg = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : "";
  if (name === "SamlStatusError" || /SAML provider returned/i.test(msg)) return samlFail("status_not_success", msg);
  if (/decrypt/i.test(msg)) return samlFail("decryption_failed", `node-saml: ${msg}`);
  if (/too many transforms/i.test(msg)) return samlFail("signature_transforms", `node-saml: ${msg}`);
  if (/multiple assertions/i.test(msg)) return samlFail("multiple_assertions", `node-saml: ${msg}`);
  if (/Too many signatures|more than one element|SignedInfo/i.test(msg)) return samlFail("signature_ambiguous", `node-saml: ${msg}`);
  if (/does not refer to it's parent|Cannot obtain assertion from signed data/i.test(msg)) return samlFail("not_covered_by_signature", `node-saml: ${msg}`);
  if (/signature/i.test(msg)) return samlFail("signature_invalid", `node-saml: ${msg}`);
  if (/Missing SAML assertion/i.test(msg)) return samlFail("assertion_missing", `node-saml: ${msg}`);
  return samlFail("malformed", `node-saml: ${msg}`);
}

// ---------------------------------------------------------------------------------------------------------------
// the validator

export async function validateSamlResponse(
  input: SamlValidationInput,
  settings: SamlValidationSettings,
  caches: SamlValidationCaches,
): Promise<SamlValidationResult> {
  const wantAssertionsSigned = settings.wantAssertionsSigned ?? true;
  const wantResponseSigned = settings.wantResponseSigned ?? false;
  const allowSha1 = settings.allowSha1 ?? false;
  const skewS = Math.min(Math.max(settings.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS, 0), MAX_CLOCK_SKEW_SECONDS);
  const skewMs = skewS * 1000;
  const now = (settings.now ?? new Date()).getTime();
  const trusted = settings.idpCerts.map(toPem);
  if (trusted.length === 0) return samlFail("untrusted_certificate", "no IdP certificate is configured");

  // 1. RelayState
  let relayState: string | null = null;
  if (input.relayState !== undefined && input.relayState !== null && input.relayState !== "") {
    let origin: string;
    try {
      origin = new URL(settings.acsUrl).origin;
    } catch {
      return samlFail("malformed", "the configured ACS URL is not a URL");
    }
    relayState = safeRelayState(input.relayState, origin);
    if (relayState === null) return samlFail("relay_state_unsafe", `RelayState "${String(input.relayState).slice(0, 200)}" is not a relative path on ${origin}`);
  }

  // 2. size and encoding
  const decoded = decodePostBindingMessage(input.samlResponseB64, settings.maxBase64Chars ?? SAML_LIMITS.maxPostBase64Chars);
  if (!decoded.ok) return decoded;
  const xml = decoded.value;

  // 3. XML guard
  const parsed = parseGuardedXml(xml);
  if (!parsed.ok) return parsed;
  const response = parsed.root;

  // 4. SAML structure
  if (response.namespaceURI !== NS.samlp || response.localName !== "Response") {
    return samlFail("malformed", `the root element is {${response.namespaceURI ?? ""}}${response.localName}, not samlp:Response`);
  }
  const dupId = findDuplicateId(response);
  if (dupId) return samlFail("duplicate_id", `the ID "${dupId}" occurs on more than one element`);
  const statusCode = attr(firstChild(firstChild(response, NS.samlp, "Status") ?? response, NS.samlp, "StatusCode"), "Value");
  // A missing Status (schema violation seen in old fixtures) is not an error by itself; a present one must be Success.
  if (statusCode !== null && statusCode !== STATUS_SUCCESS) {
    const sub = attr(descendants(response, NS.samlp, "StatusCode")[1] ?? null, "Value");
    return samlFail("status_not_success", `status ${statusCode}${sub ? ` / ${sub}` : ""}`);
  }
  const plain = descendants(response, NS.saml, "Assertion");
  const encrypted = descendants(response, NS.saml, "EncryptedAssertion");
  if (plain.length + encrypted.length > 1) {
    return samlFail("multiple_assertions", `the document holds ${plain.length} Assertion and ${encrypted.length} EncryptedAssertion elements`);
  }
  if (plain.length + encrypted.length === 0) return samlFail("assertion_missing", "the Response holds no Assertion");
  const outer = (plain[0] ?? encrypted[0])!;
  if (outer.parentNode !== response) return samlFail("malformed", `the ${outer.localName} is not a direct child of the Response`);
  const placement = checkSignaturePlacement(response, plain[0] ? [response, plain[0]] : [response]);
  if (placement) return placement;
  const comment = findCommentInValues(response);
  if (comment) return samlFail("comment_in_value", `a comment or processing instruction splits a ${comment} value`);
  const responseSig = firstChild(response, NS.ds, "Signature");
  const responseSigShape = responseSig && checkSignatureShape(responseSig, allowSha1);
  if (responseSigShape) return responseSigShape;

  let assertionXml = xml;
  let assertion: Element;
  if (plain[0]) {
    assertion = plain[0];
  } else {
    if (!settings.decryptionKey) return samlFail("decryption_failed", "the assertion is encrypted but no SP decryption key is configured");
    let decrypted: string;
    try {
      decrypted = await decryptXml(outer.toString(), settings.decryptionKey);
    } catch (err) {
      return samlFail("decryption_failed", err instanceof Error ? err.message : String(err));
    }
    const inner = parseGuardedXml(decrypted);
    if (!inner.ok) return inner;
    if (inner.root.namespaceURI !== NS.saml || inner.root.localName !== "Assertion") {
      return samlFail("malformed", `the EncryptedAssertion holds <${inner.root.localName}>, not an Assertion`);
    }
    const innerDup = findDuplicateId(inner.root);
    if (innerDup) return samlFail("duplicate_id", `the ID "${innerDup}" occurs on more than one element of the decrypted assertion`);
    const innerPlacement = checkSignaturePlacement(inner.root, [inner.root]);
    if (innerPlacement) return innerPlacement;
    const innerComment = findCommentInValues(inner.root);
    if (innerComment) return samlFail("comment_in_value", `a comment or processing instruction splits a ${innerComment} value`);
    if (descendants(inner.root, NS.saml, "Assertion").length > 1) return samlFail("multiple_assertions", "the decrypted assertion contains another Assertion");
    assertionXml = decrypted;
    assertion = inner.root;
  }
  const assertionId = idOf(assertion);
  if (!assertionId) return samlFail("malformed", "the Assertion has no ID");

  // 5. signature policy and shape
  const assertionSig = firstChild(assertion, NS.ds, "Signature");
  if (!responseSig && !assertionSig) return samlFail("signature_missing", "neither the Response nor the Assertion is signed");
  if (wantResponseSigned && !responseSig) return samlFail("response_not_signed", "the Response carries no Signature");
  if (wantAssertionsSigned && !assertionSig) {
    return samlFail("assertion_not_signed", responseSig ? "unsigned Assertion inside a signed Response" : "the Assertion carries no Signature");
  }
  const assertionSigShape = assertionSig && checkSignatureShape(assertionSig, allowSha1);
  if (assertionSigShape) return assertionSigShape;

  // 6. cryptography (every signature present must verify with a trusted certificate)
  if (responseSig) {
    const bad = verifySignature(xml, responseSig, trusted);
    if (bad) return bad;
  }
  if (assertionSig) {
    const bad = verifySignature(assertionXml, assertionSig, trusted);
    if (bad) return bad;
  }

  // 7. our checks on the assertion in the document (its signatures verified in step 6)
  const ctx: CheckContext = { settings, responseSigned: !!responseSig, skewMs, now };
  const preliminary = checkAssertion(response, assertion, ctx);
  if (!preliminary.ok) return preliminary;

  // 8. node-saml as the authoritative verifier; its clock, audience and InResponseTo checks are ours.
  let verifiedAssertionXml: string | undefined;
  try {
    const saml = new SAML({
      idpCert: trusted,
      issuer: settings.spEntityId,
      callbackUrl: settings.acsUrl,
      audience: false,
      wantAssertionsSigned,
      wantAuthnResponseSigned: wantResponseSigned,
      acceptedClockSkewMs: -1,
      maxAssertionAgeMs: 0,
      validateInResponseTo: ValidateInResponseTo.never,
      ...(settings.decryptionKey ? { decryptionPvk: settings.decryptionKey } : {}),
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml, "utf8").toString("base64") });
    verifiedAssertionXml = profile?.getAssertionXml?.();
  } catch (err) {
    return mapNodeSamlError(err);
  }
  if (!verifiedAssertionXml) return samlFail("not_covered_by_signature", "node-saml returned no verified assertion");
  const verified = parseGuardedXml(verifiedAssertionXml);
  if (!verified.ok) return verified;
  const va = verified.root;
  if (va.namespaceURI !== NS.saml || va.localName !== "Assertion" || idOf(va) !== assertionId) {
    return samlFail("not_covered_by_signature", `the verified bytes hold assertion "${idOf(va) ?? "?"}", not the assertion "${assertionId}" in the document`);
  }

  // 9. the same checks again on the bytes node-saml verified; the profile is read from them
  const checked = checkAssertion(response, va, ctx);
  if (!checked.ok) return checked;

  // 10. replay: remember the assertion id for as long as it could be accepted
  if (!(await caches.rememberAssertionId(assertionId, new Date(Math.max(checked.rememberUntil, now + 1000))))) {
    return samlFail("replay", `assertion "${assertionId}" was already used`);
  }
  // 11. the pending request is one-time: consumed last, after every other check passed
  if (settings.expectedRequestId && !(await caches.consumeRequestId(settings.expectedRequestId))) {
    return samlFail("in_response_to_unknown", `request "${settings.expectedRequestId}" is not pending (expired or already used)`);
  }
  return { ok: true, relayState, profile: { ...checked.profile, assertionId } };
}

interface CheckContext {
  settings: SamlValidationSettings;
  /** The Response is signed (and verified), so its attributes are authenticated. */
  responseSigned: boolean;
  skewMs: number;
  now: number;
}

type Checked = { ok: true; profile: Omit<SamlProfile, "assertionId">; rememberUntil: number } | SamlFailure;

/** Stateless checks of one assertion (issuer, InResponseTo, time, Destination, Recipient, Audience) and its profile. */
function checkAssertion(response: Element, va: Element, ctx: CheckContext): Checked {
  const { settings, skewMs, now } = ctx;

  // Issuer
  const responseIssuer = firstChild(response, NS.saml, "Issuer");
  if (responseIssuer && textOf(responseIssuer) !== settings.idpEntityId) {
    return samlFail("issuer_mismatch", `Response Issuer "${textOf(responseIssuer)}" is not "${settings.idpEntityId}"`);
  }
  const assertionIssuerEl = firstChild(va, NS.saml, "Issuer");
  const issuer = assertionIssuerEl ? textOf(assertionIssuerEl) : "";
  if (issuer !== settings.idpEntityId) return samlFail("issuer_mismatch", `Assertion Issuer "${issuer}" is not "${settings.idpEntityId}"`);

  // Subject
  const subject = firstChild(va, NS.saml, "Subject");
  const nameIdEl = subject && firstChild(subject, NS.saml, "NameID");
  if (!subject || !nameIdEl || textOf(nameIdEl) === "") return samlFail("malformed", "the Assertion has no Subject/NameID");
  const bearers = childElements(subject, NS.saml, "SubjectConfirmation").filter((sc) => sc.getAttribute("Method") === BEARER);
  if (bearers.length === 0) return samlFail("malformed", "the Subject has no bearer SubjectConfirmation");
  const scds = bearers.map((b) => firstChild(b, NS.saml, "SubjectConfirmationData"));

  // InResponseTo
  const responseIrt = attr(response, "InResponseTo");
  const scdIrts = scds.map((d) => attr(d, "InResponseTo"));
  const expected = settings.expectedRequestId ?? null;
  if (expected) {
    if (!responseIrt && scdIrts.every((v) => !v)) return samlFail("in_response_to_missing", `expected a response to request "${expected}", got one without InResponseTo`);
    if (responseIrt && responseIrt !== expected) return samlFail("in_response_to_unknown", `Response InResponseTo "${responseIrt}" is not the pending request "${expected}"`);
    const wrongScd = scdIrts.find((v) => v && v !== expected);
    if (wrongScd) return samlFail("in_response_to_unknown", `SubjectConfirmationData InResponseTo "${wrongScd}" is not the pending request "${expected}"`);
    // When the Response is not signed, its InResponseTo is not authenticated: the signed assertion must carry it.
    if (!ctx.responseSigned && scdIrts.some((v) => !v)) {
      return samlFail("in_response_to_missing", "the Response is unsigned and the signed SubjectConfirmationData has no InResponseTo");
    }
  } else {
    if (responseIrt || scdIrts.some((v) => v)) {
      return samlFail("in_response_to_unknown", `the response answers request "${responseIrt ?? scdIrts.find((v) => v)}" but no request is pending for this login`);
    }
    if (!settings.allowIdpInitiated) return samlFail("idp_initiated_disabled", "unsolicited response and IdP-initiated login is disabled");
  }

  // Time window
  const conditions = childElements(va, NS.saml, "Conditions");
  if (conditions.length > 1) return samlFail("malformed", "the Assertion has more than one Conditions element");
  const cond = conditions[0] ?? null;
  const issueInstant = parseInstant(attr(va, "IssueInstant"), "Assertion IssueInstant");
  if (isFailure(issueInstant)) return issueInstant;
  if (!issueInstant) return samlFail("malformed", "the Assertion has no IssueInstant");
  const notBefore = parseInstant(attr(cond, "NotBefore"), "Conditions NotBefore");
  const notOnOrAfter = parseInstant(attr(cond, "NotOnOrAfter"), "Conditions NotOnOrAfter");
  if (isFailure(notBefore)) return notBefore;
  if (isFailure(notOnOrAfter)) return notOnOrAfter;
  const scdTimes: { nb: Date | null; noa: Date | null }[] = [];
  for (const d of scds) {
    const nb = parseInstant(attr(d, "NotBefore"), "SubjectConfirmationData NotBefore");
    const noa = parseInstant(attr(d, "NotOnOrAfter"), "SubjectConfirmationData NotOnOrAfter");
    if (isFailure(nb)) return nb;
    if (isFailure(noa)) return noa;
    scdTimes.push({ nb, noa });
  }
  const iso = (t: number) => new Date(t).toISOString();
  if (issueInstant.getTime() > now + skewMs) return samlFail("not_yet_valid", `IssueInstant ${issueInstant.toISOString()} is after ${iso(now)} (+${skewMs / 1000}s skew)`);
  if (notBefore && notBefore.getTime() > now + skewMs) return samlFail("not_yet_valid", `Conditions NotBefore ${notBefore.toISOString()} is after ${iso(now)} (+${skewMs / 1000}s skew)`);
  for (const { nb } of scdTimes) {
    if (nb && nb.getTime() > now + skewMs) return samlFail("not_yet_valid", `SubjectConfirmationData NotBefore ${nb.toISOString()} is after ${iso(now)} (+${skewMs / 1000}s skew)`);
  }
  if (notOnOrAfter && notOnOrAfter.getTime() <= now - skewMs) return samlFail("expired", `Conditions NotOnOrAfter ${notOnOrAfter.toISOString()} has passed at ${iso(now)} (-${skewMs / 1000}s skew)`);
  for (const { noa } of scdTimes) {
    if (!noa) return samlFail("malformed", "the bearer SubjectConfirmationData has no NotOnOrAfter");
    if (noa.getTime() <= now - skewMs) return samlFail("expired", `SubjectConfirmationData NotOnOrAfter ${noa.toISOString()} has passed at ${iso(now)} (-${skewMs / 1000}s skew)`);
  }

  // Destination and Recipient
  const destination = attr(response, "Destination");
  if (destination !== settings.acsUrl) {
    return samlFail("wrong_destination", destination === null ? "the Response has no Destination" : `Destination "${destination}" is not the ACS "${settings.acsUrl}"`);
  }
  for (const d of scds) {
    const recipient = attr(d, "Recipient");
    if (recipient !== settings.acsUrl) {
      return samlFail("wrong_recipient", recipient === null ? "the bearer SubjectConfirmationData has no Recipient" : `Recipient "${recipient}" is not the ACS "${settings.acsUrl}"`);
    }
  }

  // Audience: every AudienceRestriction must name us (they are ANDed).
  const restrictions = cond ? childElements(cond, NS.saml, "AudienceRestriction") : [];
  if (restrictions.length === 0 && (settings.requireAudience ?? true)) return samlFail("wrong_audience", "the Assertion has no AudienceRestriction");
  for (const r of restrictions) {
    const audiences = childElements(r, NS.saml, "Audience").map(textOf);
    if (!audiences.includes(settings.spEntityId)) {
      return samlFail("wrong_audience", `Audience ${audiences.map((a) => `"${a}"`).join(", ") || "(empty)"} does not include "${settings.spEntityId}"`);
    }
  }

  // Profile (from the verified bytes)
  const authn = firstChild(va, NS.saml, "AuthnStatement");
  const sessionNotOnOrAfter = parseInstant(attr(authn, "SessionNotOnOrAfter"), "SessionNotOnOrAfter");
  if (isFailure(sessionNotOnOrAfter)) return sessionNotOnOrAfter;
  const attributes: Record<string, string[]> = {};
  for (const statement of childElements(va, NS.saml, "AttributeStatement")) {
    for (const a of childElements(statement, NS.saml, "Attribute")) {
      const name = a.getAttribute("Name");
      if (!name) continue;
      const values = childElements(a, NS.saml, "AttributeValue").map(textOf);
      attributes[name] = [...(Object.prototype.hasOwnProperty.call(attributes, name) ? attributes[name]! : []), ...values];
    }
  }

  return {
    ok: true,
    rememberUntil: Math.max(notOnOrAfter?.getTime() ?? 0, ...scdTimes.map((t) => t.noa?.getTime() ?? 0)) + skewMs,
    profile: {
      nameId: textOf(nameIdEl),
      nameIdFormat: nameIdEl.getAttribute("Format") || null,
      sessionIndex: attr(authn, "SessionIndex"),
      attributes,
      sessionNotOnOrAfter,
      issuer,
    },
  };
}
