/**
 * The string formats of a lab template. One source for both the checks in core and the patterns
 * in the published JSON Schema (api-contract), so an editor and the server agree on what is valid.
 */

/** RFC 1123 label: template and volume names (they end up in Kubernetes names and labels). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label (starts with a letter): component names become Service names, which need it. */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_LABEL_MAX = 63;

/** IANA service name, as Kubernetes requires for named ports: ≤ 15, a letter, no `--`. */
export const PORT_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const PORT_NAME_MAX = 15;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An OCI image reference in the grammar of distribution/reference, simplified: an optional
 * registry host (with port), lowercase path components, an optional tag, an optional digest.
 */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const IMAGE_REFERENCE_MAX = 512;

/** An image digest as registries report it. */
export const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Absolute, no `..` or `.` segments, no trailing slash, no `:` (Kubernetes refuses it in mounts). */
export const ABSOLUTE_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/:\0]+)+$/;

/** The directory every container gets as scratch space; volumes and writablePaths may not take it. */
export const SCRATCH_PATH = '/tmp';
