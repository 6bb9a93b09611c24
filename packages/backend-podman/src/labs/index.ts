export * from './container-args.ts';
export { PodmanLabError } from './lab-cli.ts';
export * from './lab-objects.ts';
export * from './podman-lab-provisioner.ts';
export * from './render-options.ts';
