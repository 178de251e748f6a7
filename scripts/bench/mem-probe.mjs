/**
 * Preloaded (`node --expose-gc --import ./scripts/bench/mem-probe.mjs …`) into each proxy the
 * WebSocket benchmark measures — Atrium's and CHP alike — so memory can be read the same way
 * in both: on SIGUSR2, two full garbage collections, then process.memoryUsage() (RSS, V8 heap,
 * external and ArrayBuffer memory) written as JSON to $BENCH_MEM_PROBE_DIR/<pid>.json.
 */
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";

const dir = process.env.BENCH_MEM_PROBE_DIR;
if (dir) {
  process.on("SIGUSR2", () => {
    if (typeof globalThis.gc === "function") {
      globalThis.gc();
      globalThis.gc();
    }
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    // BENCH_HEAP_SNAPSHOT=1: also a V8 heap snapshot per reading, to see what a connection keeps.
    if (process.env.BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(path.join(dir, `${process.pid}-${Date.now()}.heapsnapshot`));
    fs.renameSync(`${file}.tmp`, file);
  });
}
