/**
 * Stable reason codes for every way a SAML message can be refused. They are part of the contract with the
 * routes, the audit log and the admin UI: add codes, never rename or reuse them.
 */
export const SAML_REASONS = {
  too_large: "The SAML message is larger than the configured limit; it was refused before decoding or parsing.",
  deflate_bomb: "The Redirect-binding message inflates beyond the configured limit (a deflate bomb); inflation was stopped.",
  malformed: "The message is not well-formed base64, XML or SAML (or a required element or attribute is missing or unparsable).",
  doctype_forbidden: "The XML contains a DOCTYPE or ENTITY declaration; DTDs are refused before any parser sees the document.",
  multiple_roots: "The XML document has more than one root element.",
  duplicate_id: "Two elements share the same ID attribute, which makes signature references ambiguous (signature wrapping).",
  multiple_assertions: "The response holds more than one Assertion or EncryptedAssertion; exactly one is accepted.",
  assertion_missing: "The response holds no Assertion.",
  status_not_success: "The IdP answered with a non-Success status (the user was not authenticated).",
  relay_state_unsafe: "The RelayState is not a same-origin relative path.",
  comment_in_value: "An XML comment or processing instruction splits a NameID, Issuer, Audience or attribute value (comment injection).",
  signature_missing: "Neither the Response nor the Assertion carries a signature.",
  response_not_signed: "The Response is not signed although this IdP is configured to sign Responses.",
  assertion_not_signed: "The Assertion is not signed by itself (it is at most covered by the Response signature), and signed assertions are required.",
  signature_ambiguous: "A signature is misplaced, duplicated, or holds several SignedInfo or Reference elements.",
  signature_transforms: "A signature uses a transform or canonicalization other than enveloped-signature plus (exclusive) C14N.",
  not_covered_by_signature: "The assertion not covered by the signature: the signature references a different element than the one that would be consumed.",
  sha1_refused: "The signature uses SHA-1, which is refused for this IdP.",
  signature_invalid: "The signature does not verify with the IdP's configured certificate (content changed after signing, or a broken signature).",
  untrusted_certificate: "The message was signed with a key that is not the IdP's configured certificate (for example an attacker certificate in KeyInfo).",
  decryption_failed: "The EncryptedAssertion could not be decrypted with the SP's key (or no decryption key is configured).",
  issuer_mismatch: "The Response or Assertion Issuer is not the configured IdP entity ID.",
  in_response_to_missing: "An SP-initiated login was expected, but the response does not say which request it answers (InResponseTo).",
  in_response_to_unknown: "The response answers a request this SP did not send, one that expired, or one that was already used.",
  idp_initiated_disabled: "The response is unsolicited (IdP-initiated) and IdP-initiated login is disabled for this IdP.",
  not_yet_valid: "The assertion is not valid yet (NotBefore or IssueInstant lies in the future beyond the allowed clock skew).",
  expired: "The assertion has expired (NotOnOrAfter has passed, beyond the allowed clock skew).",
  wrong_destination: "The Response Destination is missing or is not this SP's ACS URL.",
  wrong_recipient: "The bearer SubjectConfirmationData Recipient is missing or is not this SP's ACS URL.",
  wrong_audience: "The assertion's AudienceRestriction does not name this SP's entity ID.",
  replay: "This assertion was already used (replay).",
} as const;

export type SamlReason = keyof typeof SAML_REASONS;

export interface SamlFailure {
  ok: false;
  reason: SamlReason;
  /** Technical detail for logs and the admin UI; may quote attacker-controlled values, so escape on display. */
  detail: string;
}

export function samlFail(reason: SamlReason, detail: string): SamlFailure {
  return { ok: false, reason, detail: detail.length > 500 ? `${detail.slice(0, 500)}…` : detail };
}

export function describeSamlReason(reason: SamlReason): string {
  return SAML_REASONS[reason];
}
