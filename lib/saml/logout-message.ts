import { createPublicKey, verify } from "node:crypto";
import { decodeRedirectBindingMessage } from "./limits";
import { samlFail, type SamlFailure } from "./reasons";
import { NS, childElements, findCommentInValues, findDuplicateId, firstChild, parseGuardedXml, textOf } from "./xml-guard";

/**
 * Single Logout messages over the HTTP-Redirect binding (SAML Bindings §3.4): LogoutRequest and LogoutResponse
 * sent by the IdP to Atrium's SLO URL.
 *
 *  - sizes before decoding and a capped inflate (deflate bombs), then the XML guard (no DTD, strict, one root);
 *  - the query-string signature (SigAlg + Signature over the parameters exactly as received, in the order the
 *    binding defines) verified with the IdP's configured certificates only; RSA-SHA256/512, SHA-1 only when
 *    allowed. A signature inside the XML is not how this binding signs and is never trusted;
 *  - Issuer = the IdP entity ID, Destination (when present) = our SLO URL, IssueInstant / NotOnOrAfter within the
 *    skew.
 * Whether an unsigned message is acceptable is the caller's decision (see single-logout.ts).
 */

const SIG_ALGS: Record<string, { node: string; sha1: boolean }> = {
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": { node: "RSA-SHA256", sha1: false },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": { node: "RSA-SHA512", sha1: false },
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": { node: "RSA-SHA1", sha1: true },
};
/** A LogoutRequest older than this (plus skew) is refused even without NotOnOrAfter. */
const MAX_AGE_MS = 10 * 60_000;

export interface LogoutMessageSettings {
  idpCerts: string[];
  idpEntityId: string;
  sloUrl: string;
  clockSkewSeconds: number;
  allowSha1: boolean;
  now?: Date;
}

export type LogoutMessage =
  | { ok: true; kind: "LogoutRequest"; id: string; signed: boolean; relayState: string | null; nameId: string; nameIdFormat: string | null; sessionIndexes: string[]; notOnOrAfter: Date | null }
  | { ok: true; kind: "LogoutResponse"; id: string; signed: boolean; relayState: string | null; inResponseTo: string | null; status: string };

/** Splits the raw query string, keeping each value exactly as received (needed for the signature). */
function rawParams(rawQuery: string): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const part of rawQuery.replace(/^\?/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    if (out.has(key)) return null; // a repeated parameter makes "the" signed value ambiguous
    out.set(key, eq < 0 ? "" : part.slice(eq + 1));
  }
  return out;
}

const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, " "));

function toPem(cert: string): string {
  const t = cert.trim();
  if (t.startsWith("-----BEGIN")) return t;
  const b64 = t.replace(/\s+/g, "");
  return `-----BEGIN CERTIFICATE-----\n${(b64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
}

function instant(value: string | null, what: string): Date | null | SamlFailure {
  if (!value) return null;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(d.getTime())) return samlFail("malformed", `${what} is not a UTC xs:dateTime`);
  return d;
}
const isFail = (x: unknown): x is SamlFailure => typeof x === "object" && x !== null && (x as { ok?: unknown }).ok === false;

export function readRedirectLogoutMessage(rawQuery: string, s: LogoutMessageSettings): LogoutMessage | SamlFailure {
  const params = rawParams(rawQuery);
  if (!params) return samlFail("malformed", "a query parameter is repeated");
  const field = params.has("SAMLRequest") ? "SAMLRequest" : params.has("SAMLResponse") ? "SAMLResponse" : null;
  if (!field || (params.has("SAMLRequest") && params.has("SAMLResponse"))) return samlFail("malformed", "exactly one of SAMLRequest or SAMLResponse is required");
  let value: string;
  let relayState: string | null;
  try {
    value = decode(params.get(field)!);
    relayState = params.has("RelayState") ? decode(params.get("RelayState")!) : null;
  } catch {
    return samlFail("malformed", "the query string is not valid percent-encoding");
  }
  const decoded = decodeRedirectBindingMessage(value);
  if (!decoded.ok) return decoded;
  const parsed = parseGuardedXml(decoded.value);
  if (!parsed.ok) return parsed;
  const root = parsed.root;
  const kind = field === "SAMLRequest" ? "LogoutRequest" : "LogoutResponse";
  if (root.namespaceURI !== NS.samlp || root.localName !== kind) return samlFail("malformed", `the ${field} holds <${root.localName}>, not a samlp:${kind}`);
  const dup = findDuplicateId(root);
  if (dup) return samlFail("duplicate_id", `the ID "${dup}" occurs on more than one element`);
  const comment = findCommentInValues(root);
  if (comment) return samlFail("comment_in_value", `a comment or processing instruction splits a ${comment} value`);

  // Query-string signature
  let signed = false;
  if (params.has("Signature") || params.has("SigAlg")) {
    const sigAlgRaw = params.get("SigAlg");
    const sigRaw = params.get("Signature");
    if (!sigAlgRaw || !sigRaw) return samlFail("signature_invalid", "Signature and SigAlg must come together");
    let sigAlg: string;
    let signature: Buffer;
    try {
      sigAlg = decode(sigAlgRaw);
      signature = Buffer.from(decode(sigRaw), "base64");
    } catch {
      return samlFail("malformed", "the Signature or SigAlg parameter is not valid percent-encoding");
    }
    const alg = SIG_ALGS[sigAlg];
    if (!alg) return samlFail("signature_invalid", `unsupported SigAlg ${sigAlg.slice(0, 100)}`);
    if (alg.sha1 && !s.allowSha1) return samlFail("sha1_refused", `SigAlg ${sigAlg}`);
    const octets = `${field}=${params.get(field)}${params.has("RelayState") ? `&RelayState=${params.get("RelayState")}` : ""}&SigAlg=${sigAlgRaw}`;
    const ok = s.idpCerts.some((cert) => {
      try {
        return verify(alg.node, Buffer.from(octets, "utf8"), createPublicKey(toPem(cert)), signature);
      } catch {
        return false;
      }
    });
    if (!ok) return samlFail("signature_invalid", `the ${kind} query signature does not verify with the configured IdP certificate(s)`);
    signed = true;
  }

  // Issuer, Destination, time
  const issuerEl = firstChild(root, NS.saml, "Issuer");
  const issuer = issuerEl ? textOf(issuerEl) : "";
  if (issuer !== s.idpEntityId) return samlFail("issuer_mismatch", `${kind} Issuer "${issuer.slice(0, 200)}" is not "${s.idpEntityId}"`);
  const destination = root.getAttribute("Destination");
  if (destination && destination !== s.sloUrl) return samlFail("wrong_destination", `Destination "${destination.slice(0, 200)}" is not the SLO URL "${s.sloUrl}"`);
  const id = root.getAttribute("ID");
  if (!id) return samlFail("malformed", `the ${kind} has no ID`);
  const now = (s.now ?? new Date()).getTime();
  const skewMs = Math.min(Math.max(s.clockSkewSeconds, 0), 300) * 1000;
  const issued = instant(root.getAttribute("IssueInstant"), "IssueInstant");
  if (isFail(issued)) return issued;
  if (!issued) return samlFail("malformed", `the ${kind} has no IssueInstant`);
  if (issued.getTime() > now + skewMs) return samlFail("not_yet_valid", `IssueInstant ${issued.toISOString()} is in the future`);
  if (issued.getTime() < now - MAX_AGE_MS - skewMs) return samlFail("expired", `IssueInstant ${issued.toISOString()} is older than ${MAX_AGE_MS / 60_000} minutes`);

  if (kind === "LogoutResponse") {
    const status = firstChild(firstChild(root, NS.samlp, "Status") ?? root, NS.samlp, "StatusCode")?.getAttribute("Value") ?? "";
    return { ok: true, kind, id, signed, relayState, inResponseTo: root.getAttribute("InResponseTo") || null, status };
  }
  const notOnOrAfter = instant(root.getAttribute("NotOnOrAfter"), "NotOnOrAfter");
  if (isFail(notOnOrAfter)) return notOnOrAfter;
  if (notOnOrAfter && notOnOrAfter.getTime() <= now - skewMs) return samlFail("expired", `NotOnOrAfter ${notOnOrAfter.toISOString()} has passed`);
  const nameIdEl = firstChild(root, NS.saml, "NameID");
  if (!nameIdEl || textOf(nameIdEl) === "") {
    return samlFail(firstChild(root, NS.saml, "EncryptedID") ? "decryption_failed" : "malformed", "the LogoutRequest has no (plain) NameID");
  }
  const sessionIndexes = childElements(root, NS.samlp, "SessionIndex").map(textOf).filter((v) => v !== "");
  return { ok: true, kind, id, signed, relayState, nameId: textOf(nameIdEl), nameIdFormat: nameIdEl.getAttribute("Format") || null, sessionIndexes, notOnOrAfter };
}
