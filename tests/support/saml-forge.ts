/**
 * Hostile SAML responses generated from a fresh, genuinely signed response of the local IdP: XML editing,
 * (re-)signing like an IdP, and the XSW1–XSW8 wrappings. Shared by the validator's interop test and the ACS
 * corpus test, so both judge exactly the same forgeries.
 */
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import type { SamlReason } from "@/lib/saml/reasons";

export const NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
export const NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
export const NS_DS = "http://www.w3.org/2000/09/xmldsig#";
export const SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
export const SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

export const parse = (xml: string) => new DOMParser().parseFromString(xml, "text/xml") as unknown as Document;
export const serialize = (doc: Document | Node) => new XMLSerializer().serializeToString(doc as never);
export const toXml = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
export const toB64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

export function els(root: Document | Element, ns: string, local: string): Element[] {
  return Array.from((root as Element).getElementsByTagNameNS(ns, local) as unknown as ArrayLike<Element>);
}
export function only(root: Document | Element, ns: string, local: string): Element {
  const found = els(root, ns, local);
  if (found.length < 1) throw new Error(`no ${local}`);
  return found[0]!;
}
export const responseOf = (doc: Document) => doc.documentElement as unknown as Element;
export const assertionOf = (doc: Document) => only(doc, NS_SAML, "Assertion");
export const directSig = (el: Element) =>
  Array.from(el.childNodes as unknown as ArrayLike<Node>).find((n) => n.nodeType === 1 && (n as Element).localName === "Signature" && (n as Element).namespaceURI === NS_DS) as Element | undefined;

/** Edits a copy of the response XML. */
export function edit(xml: string, fn: (doc: Document) => void): string {
  const doc = parse(xml);
  fn(doc);
  return serialize(doc);
}
export function setText(el: Element, text: string) {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument.createTextNode(text));
}
export function stripSignature(el: Element) {
  const sig = directSig(el);
  if (sig) el.removeChild(sig);
}

/**
 * The XSW5/6/8 forgery: the signed Assertion's place is taken by a copy that keeps its
 * signature but names mallory; the caller decides where to hide an unsigned copy of the
 * original (which the signature's reference may then resolve to).
 */
export function forgeKeepingSignature(doc: Document): { evil: Element; copy: Element } {
  const original = assertionOf(doc);
  const evil = original.cloneNode(true) as Element;
  setText(only(evil, NS_SAML, "NameID"), "mallory@idp.test");
  const copy = original.cloneNode(true) as Element;
  stripSignature(copy);
  responseOf(doc).replaceChild(evil, original);
  return { evil, copy };
}

/** The forged assertion: alice's, re-addressed to mallory, without its signature. */
export function evilAssertion(doc: Document, id?: string): Element {
  const evil = assertionOf(doc).cloneNode(true) as Element;
  stripSignature(evil);
  setText(only(evil, NS_SAML, "NameID"), "mallory@idp.test");
  if (id) evil.setAttribute("ID", id);
  return evil;
}

/** Enveloped signature over the Response or the Assertion (placed after its Issuer), like an IdP makes it. */
export function sign(xml: string, what: "Response" | "Assertion", key: string, cert: string, algorithm = SHA256): string {
  const xpath = what === "Response" ? "/*[local-name(.)='Response']" : "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
  const sig = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: algorithm,
    canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
    getKeyInfoContent: SignedXml.getKeyInfoContent,
  });
  sig.addReference({
    xpath,
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: algorithm === SHA1 ? "http://www.w3.org/2000/09/xmldsig#sha1" : "http://www.w3.org/2001/04/xmlenc#sha256",
  });
  sig.computeSignature(xml, { prefix: "ds", location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: "after" } });
  return sig.getSignedXml();
}

/** Strip both signatures, apply `fn`, sign again (assertion, then response) with `key`/`cert`. */
export function resign(xml: string, key: string, cert: string, fn: (doc: Document) => void = () => {}, opts: { response?: boolean; assertion?: boolean; algorithm?: string } = {}): string {
  let out = edit(xml, (doc) => {
    stripSignature(responseOf(doc));
    stripSignature(assertionOf(doc));
    fn(doc);
  });
  if (opts.assertion ?? true) out = sign(out, "Assertion", key, cert, opts.algorithm);
  if (opts.response ?? true) out = sign(out, "Response", key, cert, opts.algorithm);
  return out;
}

/** XML signature wrapping, XSW1–XSW8 (names as in Somorovsky et al.), each with the reason it must be refused for. */
export function xswCases(xml: string): { name: string; xml: string; reason: SamlReason }[] {
  return [
    {
      name: "XSW1: forged Response; the original signed Response moved into the Signature",
      xml: edit(xml, (doc) => {
        const root = responseOf(doc);
        const consumed = assertionOf(doc);
        const evil = evilAssertion(doc);
        const original = root.cloneNode(true) as Element;
        stripSignature(original);
        const sig = directSig(root)!;
        const object = doc.createElementNS(NS_DS, "ds:Object");
        object.appendChild(original);
        sig.appendChild(object);
        root.setAttribute("ID", "_evil_response");
        root.replaceChild(evil, consumed);
      }),
      reason: "duplicate_id",
    },
    {
      name: "XSW2: forged Response; the original signed Response placed before the Signature (detached)",
      xml: edit(xml, (doc) => {
        const root = responseOf(doc);
        const consumed = assertionOf(doc);
        const evil = evilAssertion(doc);
        const original = root.cloneNode(true) as Element;
        stripSignature(original);
        root.insertBefore(original, directSig(root)!);
        root.setAttribute("ID", "_evil_response");
        root.replaceChild(evil, consumed);
      }),
      reason: "duplicate_id",
    },
    {
      name: "XSW3: forged Assertion (new ID) inserted before the signed one",
      xml: edit(xml, (doc) => responseOf(doc).insertBefore(evilAssertion(doc, "_evil_assertion"), assertionOf(doc))),
      reason: "multiple_assertions",
    },
    {
      name: "XSW4: forged Assertion wraps the signed one",
      xml: edit(xml, (doc) => {
        const original = assertionOf(doc);
        const evil = evilAssertion(doc, "_evil_assertion");
        responseOf(doc).replaceChild(evil, original);
        evil.appendChild(original);
      }),
      reason: "multiple_assertions",
    },
    {
      name: "XSW5: forged Assertion keeps the signature; the original (same ID) appended to the Response",
      xml: edit(xml, (doc) => {
        const { copy } = forgeKeepingSignature(doc);
        responseOf(doc).appendChild(copy);
      }),
      reason: "duplicate_id",
    },
    {
      name: "XSW6: forged Assertion keeps the signature; the original placed inside that Signature",
      xml: edit(xml, (doc) => {
        const { evil, copy } = forgeKeepingSignature(doc);
        directSig(evil)!.appendChild(copy);
      }),
      reason: "duplicate_id",
    },
    {
      name: "XSW7: original signed Assertion hidden in samlp:Extensions, forged Assertion with a new ID consumed",
      xml: edit(xml, (doc) => {
        const original = assertionOf(doc);
        const ext = doc.createElementNS(NS_SAMLP, "samlp:Extensions");
        responseOf(doc).insertBefore(ext, original);
        responseOf(doc).replaceChild(evilAssertion(doc, "_evil_assertion"), original);
        ext.appendChild(original);
      }),
      reason: "multiple_assertions",
    },
    {
      name: "XSW8: forged Assertion keeps the signature; the original (without signature) in a ds:Object inside it",
      xml: edit(xml, (doc) => {
        const { evil, copy } = forgeKeepingSignature(doc);
        const object = doc.createElementNS(NS_DS, "ds:Object");
        object.appendChild(copy);
        directSig(evil)!.appendChild(object);
      }),
      reason: "duplicate_id",
    },
  ];
}
