// Vitest 5's failure reporter calls Map.groupBy, which Node 20 lacks (Node 21+):
// without this a failing test crashes the reporter and hides the failure.
// Loaded only for the test runner (scripts/test.sh, NODE_OPTIONS=--import).
function groupBy(items, key, make, add) {
  const out = make();
  let i = 0;
  for (const item of items) add(out, key(item, i++), item);
  return out;
}
if (typeof Map.groupBy !== "function") {
  Map.groupBy = (items, key) => groupBy(items, key, () => new Map(), (m, k, v) => (m.has(k) ? m.get(k).push(v) : m.set(k, [v])));
}
if (typeof Object.groupBy !== "function") {
  Object.groupBy = (items, key) => groupBy(items, key, () => Object.create(null), (o, k, v) => (o[k] ??= []).push(v));
}
