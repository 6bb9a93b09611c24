import type { SourceFileBody, TestCaseBody } from '@aperture/api-contract';
import { type Limits, type SourceFile, type TestCase, ValidationError } from '@aperture/core';

/** API files carry text (`content`) or base64 (`contentBase64`); the domain keeps base64 only. */
export function toSourceFiles(files: SourceFileBody[]): SourceFile[] {
  return files.map((file) => {
    if (file.content !== undefined && file.contentBase64 !== undefined) {
      throw new ValidationError(`File "${file.path}": give content or contentBase64, not both.`, {
        path: file.path,
      });
    }
    if (file.content !== undefined) {
      return { path: file.path, contentBase64: Buffer.from(file.content, 'utf8').toString('base64') };
    }
    if (file.contentBase64 !== undefined) return { path: file.path, contentBase64: file.contentBase64 };
    throw new ValidationError(`File "${file.path}" has no content.`, { path: file.path });
  });
}

type LimitsBody = { [K in keyof Limits]?: Limits[K] | undefined };

/** Drop the `undefined`s zod leaves for absent optional fields. */
export function toLimits(body: LimitsBody | undefined): Partial<Limits> {
  return Object.fromEntries(Object.entries(body ?? {}).filter(([, v]) => v !== undefined)) as Partial<Limits>;
}

export function toTestCases(tests: TestCaseBody[]): TestCase[] {
  return tests.map((test) => ({ ...test, limits: test.limits ? toLimits(test.limits) : undefined }));
}
