import { X509Certificate } from "node:crypto";
import { lookup } from "node:dns/promises";
import { request } from "node:https";
import { isIP } from "node:net";
import { AppError } from "@/lib/http/errors";
import { childElements, descendants, parseGuardedXml, textOf } from "./xml-guard";

/**
 * IdP metadata import for the SSO admin (docs/sso.md, "Metadata import"):
 *  - `parseIdpMetadata(xml)`: the same XML hygiene as SAML messages (size cap, DTD refused before parsing, strict
 *    parse, one root), then exactly one IdP (an EntityDescriptor with an IDPSSODescriptor, or an EntitiesDescriptor
 *    holding exactly one such), its entityID, HTTP-Redirect SingleSignOnService (required), HTTP-Redirect
 *    SingleLogoutService (optional), every signing certificate (use="signing" or no use) and WantAuthnRequestsSigned.
 *  - `fetchIdpMetadata(url)`: https only; the host is resolved here and every address checked (no private, loopback,
 *    link-local, unique-local, CGNAT, multicast, reserved or unspecified address, IPv4 or IPv6, IPv4-mapped included)
 *    unless SSO_METADATA_ALLOW_PRIVATE; the connection goes to that checked address (no second lookup, so no DNS
 *    rebinding); redirects are refused; the body is streamed and cut at 1 MiB; the whole fetch has 10 s.
 * Every refusal is an AppError (4xx) with a message that says exactly what was wrong.
 */

export const METADATA_LIMITS = { maxBytes: 1024 * 1024, timeoutMs: 10_000 } as const;

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

export interface CertificateInfo {
  pem: string;
  subject: string;
  issuer: string;
  /** SHA-256 fingerprint, lower-case hex without separators. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  /** Expires within 30 days (and not yet expired). */
  expiresSoon: boolean;
}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  certificates: CertificateInfo[];
  wantsSignedRequests: boolean;
}

const invalid = (message: string) => new AppError(400, "metadata_invalid", message);

// ---------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------

/** Parses a PEM (or bare base64 DER) certificate; throws a 400 naming what is wrong. */
export function certificateInfo(input: string, now: Date = new Date(), label = "The certificate"): CertificateInfo {
  const body = input
    .replace(/-----BEGIN CERTIFICATE-----/g, "")
    .replace(/-----END CERTIFICATE-----/g, "")
    .replace(/\s+/g, "");
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input)) throw new AppError(400, "certificate_invalid", `${label} is a private key; paste the IdP's public certificate instead.`);
  if (body === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new AppError(400, "certificate_invalid", `${label} is not a PEM or base64 X.509 certificate.`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(body, "base64"));
  } catch {
    throw new AppError(400, "certificate_invalid", `${label} could not be parsed as an X.509 certificate.`);
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  const notAfter = new Date(cert.validTo);
  return {
    pem,
    subject: cert.subject.replace(/\n/g, ", "),
    issuer: cert.issuer.replace(/\n/g, ", "),
    fingerprint: cert.fingerprint256.replace(/:/g, "").toLowerCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    expired: notAfter.getTime() <= now.getTime(),
    expiresSoon: notAfter.getTime() > now.getTime() && notAfter.getTime() - now.getTime() < 30 * 86_400_000,
  };
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

export function parseIdpMetadata(xml: string, now: Date = new Date(), opts: { allowHttp: boolean } = { allowHttp: false }): IdpMetadata {
  if (Buffer.byteLength(xml) > METADATA_LIMITS.maxBytes) throw new AppError(413, "metadata_too_large", `The metadata is larger than ${METADATA_LIMITS.maxBytes / 1024} KiB.`);
  const parsed = parseGuardedXml(xml.replace(/^\uFEFF/, ""));
  if (!parsed.ok) {
    if (parsed.reason === "doctype_forbidden") throw invalid(`The metadata contains a DOCTYPE or ENTITY declaration, which is refused (${parsed.detail}).`);
    throw invalid(`The metadata is not well-formed XML: ${parsed.detail}.`);
  }
  const root = parsed.root;
  if (root.namespaceURI !== MD || (root.localName !== "EntityDescriptor" && root.localName !== "EntitiesDescriptor")) {
    throw invalid(`The document is not SAML metadata: its root is <${root.localName}>, expected an EntityDescriptor or EntitiesDescriptor.`);
  }
  const idps = descendants(root, MD, "EntityDescriptor").filter((e) => childElements(e, MD, "IDPSSODescriptor").length > 0);
  if (idps.length === 0) throw invalid("The metadata describes no identity provider (no EntityDescriptor with an IDPSSODescriptor).");
  if (idps.length > 1) {
    const ids = idps.slice(0, 5).map((e) => e.getAttribute("entityID") ?? "?").join(", ");
    throw invalid(`The metadata describes ${idps.length} identity providers (${ids}${idps.length > 5 ? ", …" : ""}); import the metadata of exactly one.`);
  }
  const entity = idps[0]!;
  const entityId = (entity.getAttribute("entityID") ?? "").trim();
  if (!entityId) throw invalid("The IdP's EntityDescriptor has no entityID.");
  if (entityId.length > 1024) throw invalid("The IdP's entityID is longer than 1024 characters.");
  const descriptors = childElements(entity, MD, "IDPSSODescriptor");
  if (descriptors.length > 1) throw invalid("The IdP has more than one IDPSSODescriptor.");
  const idp = descriptors[0]!;
  const protocols = (idp.getAttribute("protocolSupportEnumeration") ?? "").split(/\s+/);
  if (!protocols.includes("urn:oasis:names:tc:SAML:2.0:protocol")) throw invalid("The IdP does not declare SAML 2.0 support (protocolSupportEnumeration).");

  const sso = childElements(idp, MD, "SingleSignOnService");
  const ssoRedirect = sso.find((s) => s.getAttribute("Binding") === REDIRECT);
  if (!ssoRedirect) {
    const hasPost = sso.some((s) => s.getAttribute("Binding") === POST);
    throw invalid(
      hasPost
        ? "The IdP offers SingleSignOnService only with the HTTP-POST binding; Atrium sends sign-in requests with HTTP-Redirect. Enable the HTTP-Redirect binding at the IdP."
        : "The IdP has no SingleSignOnService with the HTTP-Redirect binding.",
    );
  }
  const ssoUrl = checkIdpUrl(ssoRedirect.getAttribute("Location") ?? "", "SingleSignOnService Location", opts);
  const sloRedirect = childElements(idp, MD, "SingleLogoutService").find((s) => s.getAttribute("Binding") === REDIRECT);
  const sloUrl = sloRedirect ? checkIdpUrl(sloRedirect.getAttribute("Location") ?? "", "SingleLogoutService Location", opts) : null;

  const certificates: CertificateInfo[] = [];
  const keyDescriptors = childElements(idp, MD, "KeyDescriptor").filter((k) => {
    const use = k.getAttribute("use");
    return use === null || use === "" || use === "signing";
  });
  keyDescriptors.forEach((k, i) => {
    for (const x of descendants(k, DS, "X509Certificate")) {
      const info = certificateInfo(textOf(x), now, `Signing certificate ${i + 1} in the metadata`);
      if (!certificates.some((c) => c.fingerprint === info.fingerprint)) certificates.push(info);
    }
  });
  if (certificates.length === 0) throw invalid("The IdP publishes no signing certificate (KeyDescriptor use=\"signing\" with an X509Certificate).");
  if (certificates.length > 10) throw invalid("The IdP publishes more than 10 signing certificates.");

  return { entityId, ssoUrl, sloUrl, certificates, wantsSignedRequests: idp.getAttribute("WantAuthnRequestsSigned") === "true" };
}

/**
 * An IdP endpoint URL: absolute http(s) only (never javascript:, data:, file: …), no credentials, https unless
 * `allowHttp` (set when SSO_METADATA_ALLOW_PRIVATE is on: a development IdP).
 */
export function checkIdpUrl(value: string, label: string, opts: { allowHttp: boolean }): string {
  const v = value.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new AppError(400, "url_invalid", `${label} is not an absolute URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new AppError(400, "url_invalid", `${label} must be an https:// URL (${url.protocol} is refused).`);
  if (url.protocol === "http:" && !opts.allowHttp) throw new AppError(400, "url_invalid", `${label} must use https://.`);
  if (url.username || url.password) throw new AppError(400, "url_invalid", `${label} must not contain credentials.`);
  if (v.length > 2048) throw new AppError(400, "url_invalid", `${label} is longer than 2048 characters.`);
  return url.toString();
}

// ---------------------------------------------------------------------------
// Address policy
// ---------------------------------------------------------------------------

/** [network bytes, prefix length, name] */
type Range = [number[], number, string];
const V4: Range[] = [
  [[0, 0, 0, 0], 8, "unspecified (0.0.0.0/8)"],
  [[10, 0, 0, 0], 8, "private (10.0.0.0/8)"],
  [[100, 64, 0, 0], 10, "carrier-grade NAT (100.64.0.0/10)"],
  [[127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"],
  [[169, 254, 0, 0], 16, "link-local (169.254.0.0/16)"],
  [[172, 16, 0, 0], 12, "private (172.16.0.0/12)"],
  [[192, 0, 0, 0], 24, "IETF protocol assignments (192.0.0.0/24)"],
  [[192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"],
  [[192, 88, 99, 0], 24, "6to4 relay anycast (192.88.99.0/24)"],
  [[192, 168, 0, 0], 16, "private (192.168.0.0/16)"],
  [[198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"],
  [[198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"],
  [[203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"],
  [[224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"],
  [[240, 0, 0, 0], 4, "reserved/broadcast (240.0.0.0/4)"],
];
const h = (s: string) => s.split(":").flatMap((g) => [parseInt(g.padStart(4, "0").slice(0, 2), 16), parseInt(g.padStart(4, "0").slice(2), 16)]);
const V6: Range[] = [
  [[...new Array<number>(16).fill(0)], 128, "unspecified (::)"],
  [[...new Array<number>(15).fill(0), 1], 128, "loopback (::1)"],
  [[...new Array<number>(16).fill(0)], 96, "IPv4-compatible (::/96)"],
  [[...h("0064:ff9b"), ...new Array<number>(12).fill(0)], 96, "NAT64 (64:ff9b::/96)"],
  [[...h("0064:ff9b:0001"), ...new Array<number>(10).fill(0)], 48, "local NAT64 (64:ff9b:1::/48)"],
  [[...h("0100"), ...new Array<number>(14).fill(0)], 64, "discard-only (100::/64)"],
  [[...h("2001:0db8"), ...new Array<number>(12).fill(0)], 32, "documentation (2001:db8::/32)"],
  [[...h("2001"), ...new Array<number>(14).fill(0)], 23, "IETF protocol assignments (2001::/23)"],
  [[...h("2002"), ...new Array<number>(14).fill(0)], 16, "6to4 (2002::/16)"],
  [[0xfc, ...new Array<number>(15).fill(0)], 7, "unique-local (fc00::/7)"],
  [[0xfe, 0x80, ...new Array<number>(14).fill(0)], 10, "link-local (fe80::/10)"],
  [[0xfe, 0xc0, ...new Array<number>(14).fill(0)], 10, "site-local (fec0::/10)"],
  [[0xff, ...new Array<number>(15).fill(0)], 8, "multicast (ff00::/8)"],
];

function inRange(bytes: number[], [net, prefix]: Range): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}

/** 16 bytes of an IPv6 address (textual forms incl. "::" and a dotted IPv4 tail; zone ids are refused by isIP). */
function ipv6Bytes(address: string): number[] {
  let a = address;
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    tail = dotted[1]!.split(".").map(Number);
    a = a.slice(0, -dotted[1]!.length) + "0:0";
  }
  const [head, rest] = a.includes("::") ? a.split("::") : [a, undefined];
  const groups = (s: string | undefined) => (s ? s.split(":").filter((x) => x !== "") : []);
  const hg = groups(head);
  const rg = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? [] : new Array<string>(8 - hg.length - rg.length).fill("0");
  const all = [...hg, ...fill, ...rg];
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * Why an address may not be fetched from, or null when it is a public unicast address.
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated forms are judged as the IPv4 address they carry.
 */
export function forbiddenAddressReason(address: string): string | null {
  const ip = address.replace(/^\[|\]$/g, "");
  const family = isIP(ip);
  if (family === 4) {
    const b = ip.split(".").map(Number);
    return V4.find((r) => inRange(b, r))?.[2] ?? null;
  }
  if (family === 6) {
    const b = ipv6Bytes(ip.toLowerCase());
    // ::ffff:0:0/96 (mapped) and ::ffff:0:0:0/96 (translated): the IPv4 address decides.
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    const translated = b.slice(0, 8).every((x) => x === 0) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0;
    if (mapped || translated) {
      const v4 = b.slice(12).join(".");
      const why = forbiddenAddressReason(v4);
      return why ? `IPv4-mapped ${why}` : null;
    }
    return V6.find((r) => inRange(b, r))?.[2] ?? null;
  }
  return "not an IP address";
}

// ---------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------

export interface FetchOptions {
  allowPrivate: boolean;
  maxBytes?: number;
  timeoutMs?: number;
  /** For tests: the resolver (default: the system's, all addresses). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

const refused = (message: string) => new AppError(400, "metadata_url_refused", message);
const fetchFailed = (message: string) => new AppError(422, "metadata_fetch_failed", message);

/** Checks the URL and resolves its host; returns the one address the connection will use. */
export async function resolveMetadataTarget(rawUrl: string, opts: FetchOptions): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  let url: URL;
  try {
    url = new URL(rawUrl.trim());
  } catch {
    throw refused("The metadata URL is not an absolute URL.");
  }
  if (url.protocol !== "https:") throw refused(`The metadata URL must use https:// (${url.protocol} is refused).`);
  if (url.username || url.password) throw refused("The metadata URL must not contain credentials.");
  if (url.port && url.port !== "443" && Number(url.port) < 1024 && !opts.allowPrivate) throw refused(`The metadata URL's port ${url.port} is refused (use 443 or a port above 1023).`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (opts.resolve ?? ((n: string) => lookup(n, { all: true, verbatim: true })))(host);
    } catch (err) {
      throw fetchFailed(`The metadata host ${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? "DNS error"}).`);
    }
    if (addresses.length === 0) throw fetchFailed(`The metadata host ${host} has no address.`);
  }
  if (!opts.allowPrivate) {
    // Every address the name resolves to must be public: a name with one public and one internal address is refused.
    for (const a of addresses) {
      const why = forbiddenAddressReason(a.address);
      if (why) {
        throw new AppError(
          400,
          "metadata_address_refused",
          `The metadata URL's host ${host} resolves to ${a.address}, a ${why} address; Atrium does not fetch from internal addresses (the operator can allow it with SSO_METADATA_ALLOW_PRIVATE).`,
        );
      }
    }
  }
  const chosen = addresses[0]!;
  return { url, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

/** Fetches IdP metadata XML under the rules above; returns the body as text. */
export async function fetchMetadataXml(rawUrl: string, opts: FetchOptions): Promise<string> {
  const maxBytes = opts.maxBytes ?? METADATA_LIMITS.maxBytes;
  const timeoutMs = opts.timeoutMs ?? METADATA_LIMITS.timeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const { url, address, family } = await withDeadline(resolveMetadataTarget(rawUrl, opts), deadline, timeoutMs);
  return await new Promise<string>((resolveOnce, rejectOnce) => {
    // The first outcome wins: destroying the stream below emits errors of its own ("aborted") afterwards.
    let settled = false;
    const resolve = (v: string) => !settled && ((settled = true), resolveOnce(v));
    const reject = (e: unknown) => !settled && ((settled = true), rejectOnce(e));
    const req = request(
      url,
      {
        method: "GET",
        headers: { accept: "application/samlmetadata+xml, application/xml, text/xml", "user-agent": "Atrium-SSO-metadata/1" },
        // Pinned: the connection goes to the address checked above, whatever DNS answers now. TLS still verifies the
        // certificate against the URL's host name (servername).
        lookup: (_host, o, cb) => {
          if ((o as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else cb(null, address, family);
        },
        servername: isIP(url.hostname.replace(/^\[|\]$/g, "")) ? undefined : url.hostname,
        signal: deadline,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          reject(fetchFailed(`The metadata URL answered with a redirect (${status}${res.headers.location ? ` to ${String(res.headers.location).slice(0, 200)}` : ""}); redirects are not followed — enter the final URL.`));
          res.destroy();
          return;
        }
        if (status !== 200) {
          reject(fetchFailed(`The metadata URL answered HTTP ${status}, expected 200.`));
          res.destroy();
          return;
        }
        const declared = Number(res.headers["content-length"] ?? "0");
        if (declared > maxBytes) {
          reject(new AppError(413, "metadata_too_large", `The metadata is larger than ${maxBytes / 1024} KiB (Content-Length ${declared}).`));
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            reject(new AppError(413, "metadata_too_large", `The metadata is larger than ${maxBytes / 1024} KiB; the download was stopped.`));
            res.destroy();
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          try {
            resolve(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks)));
          } catch {
            reject(invalid("The metadata is not valid UTF-8."));
          }
        });
        res.on("error", (err) => reject(failure(err, deadline, timeoutMs)));
        res.on("aborted", () => reject(failure(new Error("aborted"), deadline, timeoutMs)));
      },
    );
    req.on("error", (err) => reject(failure(err, deadline, timeoutMs)));
    req.end();
  });
}

function failure(err: unknown, deadline: AbortSignal, timeoutMs: number): AppError {
  if (err instanceof AppError) return err;
  if (deadline.aborted) return new AppError(422, "metadata_timeout", `Fetching the metadata took longer than ${timeoutMs / 1000} s and was stopped.`);
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? "";
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|ERR_TLS/i.test(code + " " + e.message)) return fetchFailed(`The metadata server's TLS certificate was refused (${code || e.message}).`);
  return fetchFailed(`The metadata could not be fetched (${code || e.message}).`);
}

async function withDeadline<T>(p: Promise<T>, deadline: AbortSignal, timeoutMs: number): Promise<T> {
  return await Promise.race([
    p,
    new Promise<never>((_, reject) => {
      if (deadline.aborted) reject(failure(new Error("timeout"), deadline, timeoutMs));
      deadline.addEventListener("abort", () => reject(failure(new Error("timeout"), deadline, timeoutMs)), { once: true });
    }),
  ]);
}
