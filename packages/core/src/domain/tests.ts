import type { Limits } from './limits.ts';

/** How a test's actual output is compared with the expected output. */
export type Comparator =
  | { kind: 'exact' }
  /** Equal after collapsing runs of whitespace and trimming both ends. */
  | { kind: 'whitespace' }
  /** The whole output must match the regular expression. */
  | { kind: 'regex'; pattern: string; flags?: string | undefined }
  /**
   * A checker program from the assignment's files: run as `<command> input expected actual`
   * in the sandbox; exit 0 accepts, exit 1 rejects, anything else is an internal error.
   * Its stdout (first line) becomes the test's message.
   */
  | { kind: 'checker'; command: string };

/**
 * Who sees a test: `visible` always; `hidden` only staff; `after_due_date` students after the deadline.
 * The names follow Gradescope's autograder spec.
 */
export type TestVisibility = 'visible' | 'hidden' | 'after_due_date';

export interface TestCase {
  name: string;
  stdin: string;
  expectedOutput: string;
  comparator: Comparator;
  points: number;
  visibility: TestVisibility;
  limits?: Partial<Limits> | undefined;
  /** Extra command-line arguments for this test. */
  args?: string[] | undefined;
}
