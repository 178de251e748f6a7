import { describe, expect, it } from "vitest";
import { ACTIONS, RESOURCES, can, mayManageRole, roleAtMost } from "@/lib/auth/permissions";

const WORKSPACE = new Set(["apps", "engines"]);

describe("permission matrix", () => {
  it("gives owners everything, admins everything but the tenant's identity, members nothing", () => {
    for (const r of RESOURCES)
      for (const a of ACTIONS) {
        expect(can("owner", `${r}:${a}`)).toBe(true);
        expect(can("admin", `${r}:${a}`)).toBe(`${r}:${a}` !== "tenant:write");
        expect(can("member", `${r}:${a}`)).toBe(false);
      }
  });

  it("keeps the existing resources unchanged for owner/admin/member", () => {
    for (const r of RESOURCES.filter((x) => !WORKSPACE.has(x)))
      for (const a of ACTIONS) expect(can("editor", `${r}:${a}`)).toBe(false);
  });

  it("lets editors read and write apps (nothing else), and only admins/owners see engines", () => {
    expect(can("editor", "apps:read")).toBe(true);
    expect(can("editor", "apps:write")).toBe(true);
    expect(can("editor", "engines:read")).toBe(false);
    expect(can("editor", "engines:write")).toBe(false);
    expect(can("admin", "engines:read")).toBe(true);
    expect(can("admin", "engines:write")).toBe(true);
    expect(can("member", "apps:read")).toBe(false);
    expect(can("member", "engines:read")).toBe(false);
  });

  it("never lets anyone act above their own rank", () => {
    expect(mayManageRole("admin", "owner")).toBe(false);
    expect(mayManageRole("admin", "admin")).toBe(true);
    expect(mayManageRole("admin", "editor")).toBe(true);
    expect(mayManageRole("owner", "owner")).toBe(true);
    expect(mayManageRole("member", "member")).toBe(false);
    expect(mayManageRole("editor", "member")).toBe(false);
    expect(mayManageRole("editor", "editor")).toBe(false);
    expect(roleAtMost("admin", "member")).toBe(false);
    expect(roleAtMost("member", "admin")).toBe(true);
    expect(roleAtMost("editor", "admin")).toBe(true);
    expect(roleAtMost("editor", "member")).toBe(false);
  });
});
