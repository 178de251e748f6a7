import { randomBytes } from "node:crypto";
import type { DockerClient } from "@/lib/orchestrator/docker/client";
import { NETWORK_ROLE_LABEL } from "@/lib/orchestrator/docker-driver";
import { LABELS } from "@/lib/orchestrator/types";

/**
 * A throwaway container on `network` (the engine image, its own entrypoint, locked down like
 * an engine) that tries a TCP connection to host:port and reports "connected" / "timeout" /
 * "error <code>". Labelled with `installationId`, removed afterwards.
 */
export async function probe(docker: DockerClient, o: { image: string; installationId: string; network: string; host: string; port: number }): Promise<string> {
  const code = `const s=require("net").connect(${o.port},${JSON.stringify(o.host)});s.setTimeout(3000);
s.on("connect",()=>{console.log("connected");process.exit(0)});
s.on("timeout",()=>{console.log("timeout");process.exit(3)});
s.on("error",e=>{console.log("error "+e.code);process.exit(4)});`;
  const { Id } = await docker.createContainer(`atrium-${o.installationId}-probe-${randomBytes(4).toString("hex")}`, {
    Image: o.image,
    Entrypoint: ["/usr/local/bin/node", "-e", code],
    Labels: { [LABELS.installation]: o.installationId, [NETWORK_ROLE_LABEL]: "probe" },
    User: "10001:10001",
    HostConfig: { NetworkMode: o.network, ReadonlyRootfs: true, CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges:true"], Memory: 128 * 1048576 },
  });
  try {
    await docker.startContainer(Id);
    await docker.json("POST", `/containers/${Id}/wait`, undefined, { timeoutMs: 20_000 });
    return (await docker.containerLogs(Id)).trim();
  } finally {
    await docker.removeContainer(Id);
  }
}
