import { describe, expect, it } from "vitest";
import { ACTIONS, RESOURCES, can, mayManageRole, roleAtMost } from "@/lib/auth/permissions";

describe("permission matrix", () => {
  it("gives owners everything, admins everything but the tenant's identity, members nothing", () => {
    for (const r of RESOURCES)
      for (const a of ACTIONS) {
        expect(can("owner", `${r}:${a}`)).toBe(true);
        expect(can("admin", `${r}:${a}`)).toBe(`${r}:${a}` !== "tenant:write");
        expect(can("member", `${r}:${a}`)).toBe(false);
      }
  });

  it("never lets anyone act above their own rank", () => {
    expect(mayManageRole("admin", "owner")).toBe(false);
    expect(mayManageRole("admin", "admin")).toBe(true);
    expect(mayManageRole("owner", "owner")).toBe(true);
    expect(mayManageRole("member", "member")).toBe(false);
    expect(roleAtMost("admin", "member")).toBe(false);
    expect(roleAtMost("member", "admin")).toBe(true);
  });
});
