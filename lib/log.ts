import pino from "pino";
import { config } from "@/lib/config";

const globalForLog = globalThis as unknown as { atriumLog?: pino.Logger };

/** Structured JSON logs. Secrets never reach them: known sensitive fields are redacted. */
export function log(): pino.Logger {
  globalForLog.atriumLog ??= pino({
    level: config().LOG_LEVEL,
    redact: { paths: ["password", "*.password", "token", "*.token", "cookie", "*.cookie", "authorization", "*.authorization"], censor: "[redacted]" },
  });
  return globalForLog.atriumLog;
}
