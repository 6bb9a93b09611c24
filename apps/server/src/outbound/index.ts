export * from './address-policy.ts';
export type { AddressKind } from './address-ranges.ts';
export * from './errors.ts';
export * from './outbound-request.ts';
