/** The harness is a program (main.ts); these pure parts are exported for tests and tooling. */
export { compareOutput, normaliseWhitespace } from './compare.ts';
export { mapGradescopeResults } from './gradescope.ts';
export { parseJob } from './job-input.ts';
export { isSealed, openSealedJob, type SealedJob, sealJob } from './sealed-job.ts';
export { judgeExecution } from './verdict.ts';
