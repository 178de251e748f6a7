import { migrate } from "@/lib/db/migrate";
import { config } from "@/lib/config";

const result = await migrate(config().DATABASE_URL);
console.log(`migrations: ${result.applied.length} applied${result.applied.length ? ` (${result.applied.join(", ")})` : ""}, ${result.alreadyApplied} already in place`);
