/**
 * Lab versions: a checkpoint is the template plus the digest of every image it runs, named by the
 * SHA-256 of their canonical JSON. The same content always has the same id, so checkpointing
 * twice is harmless and a deployment names exactly what students run; any change makes a new id.
 */
import { canonicalJson } from './canonical-json.ts';
import { IMAGE_DIGEST } from './formats.ts';
import type { LabTemplate, LabTemplateProblem } from './lab-template.ts';
import { sha256Hex } from './sha256.ts';

/** Image reference as written in the template → `sha256:…` digest it resolved to at checkpoint. */
export type ImageDigests = Readonly<Record<string, string>>;

/** Part of the hashed content, so a future change to what a version holds cannot reuse an old id. */
const VERSION_FORMAT = 'aperture.dev/lab-version/v1';

export function labVersionId(template: LabTemplate, images: ImageDigests): string {
  return `sha256:${sha256Hex(canonicalJson({ format: VERSION_FORMAT, template, images }))}`;
}

/** The images a checkpoint must resolve: those not already pinned by a digest in the template. */
export function imagesToPin(template: LabTemplate): string[] {
  const images = template.spec.components
    .map((component) => component.image)
    .filter((image) => !image.includes('@'));
  return [...new Set(images)].sort();
}

/** Every unpinned image has a well-formed digest, and nothing else is in the map. */
export function checkImageDigests(template: LabTemplate, images: ImageDigests): LabTemplateProblem[] {
  const wanted = imagesToPin(template);
  const problems: LabTemplateProblem[] = [];
  for (const image of wanted) {
    const digest = images[image];
    if (digest === undefined)
      problems.push({ path: `images[${JSON.stringify(image)}]`, message: 'no digest for this image' });
    else if (!IMAGE_DIGEST.test(digest)) {
      problems.push({
        path: `images[${JSON.stringify(image)}]`,
        message: `${JSON.stringify(digest)} is not a sha256:<64 hex> digest`,
      });
    }
  }
  for (const image of Object.keys(images)) {
    if (!wanted.includes(image)) {
      problems.push({
        path: `images[${JSON.stringify(image)}]`,
        message: 'no component of the template runs this image',
      });
    }
  }
  return problems;
}

export interface LabTemplateChange {
  /** `spec.components[name=web].image`: lists of named things are matched by name, others by position. */
  path: string;
  change: 'added' | 'removed' | 'changed' | 'reordered';
  before?: unknown;
  after?: unknown;
}

/** What changed from template a to template b, for "versions with diff". */
export function diffTemplates(a: LabTemplate, b: LabTemplate): LabTemplateChange[] {
  const changes: LabTemplateChange[] = [];
  diffValues('', a, b, changes);
  return changes;
}

function diffValues(path: string, a: unknown, b: unknown, changes: LabTemplateChange[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    diffArrays(path, a, b, changes);
  } else if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      diffMember(path === '' ? key : `${path}.${key}`, a[key], b[key], changes);
    }
  } else {
    changes.push({ path, change: 'changed', before: a, after: b });
  }
}

function diffMember(path: string, a: unknown, b: unknown, changes: LabTemplateChange[]): void {
  if (a === undefined && b !== undefined) changes.push({ path, change: 'added', after: b });
  else if (a !== undefined && b === undefined) changes.push({ path, change: 'removed', before: a });
  else diffValues(path, a, b, changes);
}

function diffArrays(path: string, a: unknown[], b: unknown[], changes: LabTemplateChange[]): void {
  const aNames = namesOf(a);
  const bNames = namesOf(b);
  if (!aNames || !bNames) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffMember(`${path}[${i}]`, a[i], b[i], changes);
    return;
  }
  // Named items (components, ports, env, volumes): an insertion is one change, not a shift of all.
  const byName = (items: unknown[], names: string[]) => new Map(names.map((name, i) => [name, items[i]]));
  const aItems = byName(a, aNames);
  const bItems = byName(b, bNames);
  for (const name of [...new Set([...aNames, ...bNames])]) {
    diffMember(`${path}[name=${name}]`, aItems.get(name), bItems.get(name), changes);
  }
  const common = (names: string[], other: Map<string, unknown>) => names.filter((name) => other.has(name));
  if (common(aNames, bItems).join('\n') !== common(bNames, aItems).join('\n')) {
    changes.push({ path, change: 'reordered', before: aNames, after: bNames });
  }
}

/** The `name` of every item, if all items are objects with distinct string names. */
function namesOf(items: unknown[]): string[] | undefined {
  if (items.length === 0) return [];
  const names = items.map((item) =>
    isRecord(item) && typeof item['name'] === 'string' ? item['name'] : undefined,
  );
  if (names.some((name) => name === undefined)) return undefined;
  const defined = names as string[];
  return new Set(defined).size === defined.length ? defined : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
