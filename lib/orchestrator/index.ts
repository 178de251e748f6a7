export * from "./types";
export { ProcessDriver, checkHealth, type ProcessDriverOptions } from "./process-driver";
