/** The first value of a Next.js page search parameter (`?a=1&a=2` gives "1"). */
export function firstParam(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
