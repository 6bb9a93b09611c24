/**
 * Names of the Kubernetes objects of a student's lab: deterministic (the same student, deployment
 * and template always give the same names, so a re-apply updates instead of duplicating), at
 * most 63 characters, readable where they can be.
 */
import { createHash } from 'node:crypto';

const MAX_NAME = 63;
const HASH_LENGTH = 10;

/** Lowercase alphanumerics and single '-', trimmed: a readable fragment of any id. */
export function slug(value: string, max = MAX_NAME): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

/**
 * `<readable parts>-<hash>`, cut to fit. The hash is of the exact identity, not of the readable
 * parts, so ids that slug alike (`Alice` / `alice`, `a-b`+`c` / `a`+`b-c`) still get their own names.
 */
export function hashedName(readable: readonly string[], identity: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, HASH_LENGTH);
  const room = MAX_NAME - HASH_LENGTH - 1;
  const prefix = slug(
    readable
      .map((part) => slug(part))
      .filter(Boolean)
      .join('-'),
    room,
  );
  return prefix ? `${prefix}-${hash}` : hash;
}

/**
 * The namespace of one (deployment, student): `lab-<deployment>-<student>-<hash>`. Namespace per
 * student per deployment, so teardown of a class is deleting namespaces, and two deployments of
 * the same lab never share anything.
 */
export function labNamespaceName(prefix: string, deploymentId: string, studentId: string): string {
  return hashedName([prefix, slug(deploymentId, 12), studentId], [prefix, deploymentId, studentId]);
}

/** A volume's claim: `<component>-<volume>-<hash>`. */
export function claimName(component: string, volume: string): string {
  return hashedName([component, volume], [component, volume]);
}
