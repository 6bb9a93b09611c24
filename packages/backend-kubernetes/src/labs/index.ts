export * from './budget-objects.ts';
export * from './kubernetes-lab-provisioner.ts';
export * from './lab-labels.ts';
export * from './lab-permissions.ts';
export * from './names.ts';
export * from './network-policies.ts';
export * from './render.ts';
export * from './workloads.ts';
