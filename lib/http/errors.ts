/** An error whose message is safe to show the user; anything else becomes a 500 with a correlation id. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Already on the record (a repeated refusal): do not audit again. */
    readonly quiet = false,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, "bad_request", message, details);
export const unauthorized = (message = "Sign in to continue.") => new AppError(401, "unauthenticated", message);
export const forbidden = (message = "You do not have permission to do that.") => new AppError(403, "forbidden", message);
export const notFound = (what = "resource") => new AppError(404, "not_found", `No such ${what}.`);
export const conflict = (message: string) => new AppError(409, "conflict", message);
export const tooMany = (limit: { retryAfterSeconds: number; firstRefusal: boolean }, message?: string) =>
  new AppError(429, "rate_limited", message ?? `Too many requests. Try again in ${limit.retryAfterSeconds} seconds.`, { retryAfterSeconds: limit.retryAfterSeconds }, !limit.firstRefusal);
