import { randomBytes } from "node:crypto";

/** Who sent a request and from where; server.ts stamps these headers (replacing any the client sent). */
export interface RequestMeta {
  requestId: string;
  ip: string;
  userAgent: string;
}

export const CLIENT_IP_HEADER = "x-atrium-client-ip";
export const REQUEST_ID_HEADER = "x-request-id";

export function newRequestId(): string {
  return randomBytes(8).toString("hex");
}

export function requestMetaFrom(headers: Headers): RequestMeta {
  return {
    requestId: headers.get(REQUEST_ID_HEADER) ?? newRequestId(),
    ip: headers.get(CLIENT_IP_HEADER) ?? "",
    userAgent: (headers.get("user-agent") ?? "").slice(0, 512),
  };
}
