import type { V1Toleration } from '@kubernetes/client-node';

/**
 * The one-line forms operators type for run placement and hardening (flags, environment
 * variables), parsed with an error that names the bad part. Pure.
 */
export class PlacementSyntaxError extends Error {
  override name = 'PlacementSyntaxError';
  readonly code = 'invalid_placement';
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** `pool=runners,disk=ssd` → { pool: 'runners', disk: 'ssd' }. */
export function parseNodeSelector(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of splitList(text)) {
    const [key, value, ...rest] = part.split('=');
    if (
      key === undefined ||
      value === undefined ||
      rest.length > 0 ||
      !LABEL_KEY.test(key) ||
      !LABEL_VALUE.test(value)
    )
      throw new PlacementSyntaxError(
        `node selector "${part}": expected key=value with a valid label key and value`,
      );
    result[key] = value;
  }
  return result;
}

/**
 * kubectl's taint syntax, one toleration each: `dedicated=runners:NoSchedule` (Equal) or
 * `dedicated:NoSchedule` (Exists), comma-separated.
 */
export function parseTolerations(text: string): V1Toleration[] {
  return splitList(text).map((part) => {
    const match = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(part);
    const [, key, value, effect] = match ?? [];
    if (!key || !effect || !LABEL_KEY.test(key) || (value !== undefined && !LABEL_VALUE.test(value)))
      throw new PlacementSyntaxError(`toleration "${part}": expected key=value:Effect or key:Effect`);
    if (!(EFFECTS as readonly string[]).includes(effect))
      throw new PlacementSyntaxError(`toleration "${part}": the effect must be one of ${EFFECTS.join(', ')}`);
    return value === undefined
      ? { key, operator: 'Exists', effect }
      : { key, operator: 'Equal', value, effect };
  });
}

/** `amd64,arm64`. */
export function parseArchitectures(text: string): string[] {
  const list = splitList(text);
  for (const arch of list)
    if (!/^[a-z0-9]+$/.test(arch))
      throw new PlacementSyntaxError(`architecture "${arch}": expected e.g. amd64 or arm64`);
  return list;
}

/**
 * A `Localhost` seccomp profile as the pod names it: a path below `<kubelet root>/seccomp/`, such
 * as `aperture/runner.json` (deploy/seccomp/). Kubernetes refuses absolute paths and `..`.
 */
export function parseSeccompProfile(text: string): string {
  const path = text.trim();
  const segments = path.split('/');
  if (
    !path ||
    path.startsWith('/') ||
    segments.some((s) => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._-]+$/.test(s))
  )
    throw new PlacementSyntaxError(
      `seccomp profile "${text}": expected a relative path below the kubelet's seccomp directory, e.g. aperture/runner.json`,
    );
  return path;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
