export * from "./types";
export { ProcessDriver, checkHealth, type ProcessDriverOptions } from "./process-driver";
export { DockerDriver, dockerNamePart, NETWORK_ROLE_LABEL, type DockerDriverOptions } from "./docker-driver";
export { DockerClient, DockerApiError, DockerUnavailableError, type DockerClientOptions } from "./docker/client";
