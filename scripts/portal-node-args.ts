import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Node flags every portal process starts with (scripts/portal-node-args.txt, the one list shared by
 * package.json, scripts/up.sh, scripts/test.sh and the test/bench launchers). Why each flag is
 * there: docs/operations.md, "Node runtime flags".
 */
export function portalNodeArgs(root = process.cwd()): string[] {
  return readFileSync(path.join(root, "scripts/portal-node-args.txt"), "utf8").trim().split(/\s+/).filter(Boolean);
}
