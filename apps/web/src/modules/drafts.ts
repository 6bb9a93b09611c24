import type { EditorFile } from '../utils/files.ts';

/** The editor's content per assignment, kept in the browser so a reload loses nothing. */
export interface Draft {
  language: string;
  files: EditorFile[];
}

export const draftKey = (assignmentId: string) => `aperture:draft:${assignmentId}`;

export function saveDraft(assignmentId: string, draft: Draft): void {
  window.localStorage.setItem(draftKey(assignmentId), JSON.stringify(draft));
}
