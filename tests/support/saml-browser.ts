/**
 * A tiny browser for SAML flows over HTTP: one cookie jar per origin (Atrium's and the IdP's cookies never mix),
 * manual redirects (each hop can be inspected), HTML form fields. Requests to Atrium carry the browser's made-up
 * client IP (X-Forwarded-For; the test server trusts it) so per-IP rate limits of one test do not leak into another.
 */
import { randomIp } from "./atrium-client";

export const decodeHtml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#0*39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#x2F;/gi, "/").replace(/&#x3D;/gi, "=").replace(/&#x2B;/gi, "+").replace(/&amp;/g, "&");

export function formField(html: string, name: string): string | null {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`, "i").exec(html) ?? new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`, "i").exec(html);
  return m ? decodeHtml(m[1]!) : null;
}

export function formAction(html: string): string | null {
  const m = /<form[^>]*action="([^"]*)"/i.exec(html);
  return m ? decodeHtml(m[1]!) : null;
}

export interface Hop {
  url: string;
  method: string;
  status: number;
  location: string | null;
  setCookies: string[];
}

export interface Page {
  url: string;
  status: number;
  body: string;
  hops: Hop[];
}

export class SamlBrowser {
  private jars = new Map<string, Map<string, string>>();
  constructor(readonly ip: string = randomIp()) {}

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(new URL(origin).origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const o = new URL(origin).origin;
    if (!this.jars.has(o)) this.jars.set(o, new Map());
    this.jars.get(o)!.set(name, value);
  }

  private store(url: string, res: Response): string[] {
    const o = new URL(url).origin;
    if (!this.jars.has(o)) this.jars.set(o, new Map());
    const jar = this.jars.get(o)!;
    const lines = res.headers.getSetCookie();
    for (const line of lines) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    return lines;
  }

  /** One request, no redirect following. */
  async send(url: string, init: { method?: string; form?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<{ res: Response; setCookies: string[] }> {
    const o = new URL(url).origin;
    const jar = this.jars.get(o);
    const headers: Record<string, string> = { "x-forwarded-for": this.ip, "user-agent": "atrium-saml-tests/1.0", ...init.headers };
    if (jar?.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(url, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body: init.form?.toString(), redirect: "manual" });
    return { res, setCookies: this.store(url, res) };
  }

  /** Follows redirects (303/302 → GET) and returns the final page and every hop. */
  async go(url: string, init: { method?: string; form?: URLSearchParams; headers?: Record<string, string>; stopAt?: (url: string) => boolean } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? (init.form ? "POST" : "GET");
    let form = init.form;
    const hops: Hop[] = [];
    for (let n = 0; n < 20; n++) {
      const { res, setCookies } = await this.send(current, { method, form, headers: init.headers });
      const location = res.headers.get("location");
      hops.push({ url: current, method, status: res.status, location, setCookies });
      if (res.status >= 300 && res.status < 400 && location) {
        const nextUrl = new URL(location, current).toString();
        if (init.stopAt?.(nextUrl)) {
          await res.arrayBuffer();
          return { url: nextUrl, status: res.status, body: "", hops };
        }
        await res.arrayBuffer();
        current = nextUrl;
        method = "GET";
        form = undefined;
        continue;
      }
      return { url: current, status: res.status, body: await res.text(), hops };
    }
    throw new Error("too many redirects");
  }
}
