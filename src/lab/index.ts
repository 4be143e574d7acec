/**
 * The local lab: a control plane and N real agent processes on this machine,
 * for the demo, end-to-end tests and benchmarks.
 *
 * @example
 * const lab = await startLab({ hosts: 5 });
 */
export type { Lab, LabHost, LabOptions, LabReplica } from './lab.js';
export { startLab } from './lab.js';
export type { LabProgress } from './staggered-start.js';
export { stopChild } from './processes.js';
export type { ScaledBacking } from './scaled.js';
export { createScaledBacking } from './scaled.js';
export type { Swarm, SwarmAgent, SwarmBus, SwarmOptions, SwarmProgress } from './swarm.js';
export { startSwarm } from './swarm.js';
export type { Demo, DemoOutput } from './demo.js';
export { LAB_PACK, runDemo } from './demo.js';
export { PODMAN, PodmanContainers, ROOTFS_MARKER, podmanMissing } from './podman.js';
