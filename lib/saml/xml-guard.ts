import { DOMParser } from "@xmldom/xmldom";
import { samlFail, type SamlFailure } from "./reasons";

/**
 * XML hygiene applied before any SAML logic (and before node-saml/xml-crypto see the document):
 *  - DOCTYPE / ENTITY declarations are refused by a plain text scan, so no parser ever expands an entity
 *    (XXE, billion laughs). The scan may refuse a document that merely mentions "<!DOCTYPE" inside a comment
 *    or CDATA section; no IdP sends such documents.
 *  - the parser runs in strict mode: any xmldom warning or error refuses the document;
 *  - exactly one root element, and nothing but whitespace, comments and the XML declaration around it.
 *
 * Comments inside values: node-saml reads profile values from the canonicalized signed bytes (exclusive C14N
 * without comments), so `test<!---->@x` is read as `test@x`, never as `test`. We still refuse comments or
 * processing instructions inside NameID, Issuer, Audience and AttributeValue (`findCommentInValues`), because no
 * IdP produces them and they only ever appear in comment-injection attacks.
 */

export const NS = {
  samlp: "urn:oasis:names:tc:SAML:2.0:protocol",
  saml: "urn:oasis:names:tc:SAML:2.0:assertion",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
} as const;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

export type Parsed = { ok: true; doc: Document; root: Element } | SamlFailure;

/** Refuses any DTD before parsing: `<!DOCTYPE`, `<!ENTITY` (case-insensitive, whitespace-tolerant). */
export function refuseDtd(xml: string): SamlFailure | null {
  const m = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i.exec(xml);
  return m ? samlFail("doctype_forbidden", `the document contains <!${m[1]!.toUpperCase()} at offset ${m.index}`) : null;
}

/** Parses XML strictly after the DTD scan; refuses several roots and text outside the root. */
export function parseGuardedXml(xml: string): Parsed {
  const dtd = refuseDtd(xml);
  if (dtd) return dtd;
  const problems: string[] = [];
  let doc: Document | undefined;
  try {
    doc = new DOMParser({
      locator: {},
      errorHandler: {
        warning: (m: string) => problems.push(m),
        error: (m: string) => problems.push(m),
        fatalError: (m: string) => problems.push(m),
      },
    }).parseFromString(xml, "text/xml") as unknown as Document;
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  const clean = problems.map((p) => p.replace(/^\[xmldom \w+\]\s*/, "").replace(/\s*@#\[line.*$/s, "").trim());
  if (clean.some((p) => /only one element can be added/i.test(p))) {
    return samlFail("multiple_roots", "the document has more than one root element");
  }
  if (!doc || clean.length > 0) return samlFail("malformed", `XML parse error: ${clean[0] ?? "no document"}`);
  let root: Element | null = null;
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === ELEMENT_NODE) {
      if (root) return samlFail("multiple_roots", "the document has more than one root element");
      root = n as Element;
    } else if (n.nodeType === TEXT_NODE && (n.nodeValue ?? "").trim() !== "") {
      return samlFail("malformed", "text outside the root element");
    } else if (n.nodeType === PROCESSING_INSTRUCTION_NODE && (n as ProcessingInstruction).target.toLowerCase() !== "xml") {
      return samlFail("malformed", "processing instruction outside the root element");
    }
  }
  if (!root) return samlFail("malformed", "the document has no root element");
  return { ok: true, doc, root };
}

/** All descendant elements (document order), root included. */
export function allElements(root: Element): Element[] {
  const out: Element[] = [];
  const walk = (el: Element) => {
    out.push(el);
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === ELEMENT_NODE) walk(c as Element);
  };
  walk(root);
  return out;
}

export function childElements(el: Element, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== ELEMENT_NODE) continue;
    const e = c as Element;
    if ((ns === undefined || e.namespaceURI === ns) && (localName === undefined || e.localName === localName)) out.push(e);
  }
  return out;
}

export function firstChild(el: Element, ns: string, localName: string): Element | null {
  return childElements(el, ns, localName)[0] ?? null;
}

export function descendants(root: Element, ns: string, localName: string): Element[] {
  return allElements(root).filter((e) => e.namespaceURI === ns && e.localName === localName);
}

/** Text of an element from its text and CDATA children only (comments and PIs never contribute). */
export function textOf(el: Element): string {
  let s = "";
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) s += c.nodeValue ?? "";
  }
  return s.trim();
}

/** First ID value (ID, Id or id attribute) that occurs on two elements, or null. */
export function findDuplicateId(root: Element): string | null {
  const seen = new Set<string>();
  for (const el of allElements(root)) {
    for (const name of ["ID", "Id", "id"]) {
      const v = el.getAttribute(name);
      if (v === null || v === "") continue;
      if (seen.has(v)) return v;
      seen.add(v);
    }
  }
  return null;
}

const VALUE_ELEMENTS = new Set(["NameID", "Issuer", "Audience", "AttributeValue"]);

/** Path of the first identity-carrying element whose text is split by a comment or processing instruction. */
export function findCommentInValues(root: Element): string | null {
  for (const el of allElements(root)) {
    if (el.namespaceURI !== NS.saml || !VALUE_ELEMENTS.has(el.localName)) continue;
    for (let c = el.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === COMMENT_NODE || c.nodeType === PROCESSING_INSTRUCTION_NODE) return el.localName;
    }
  }
  return null;
}
