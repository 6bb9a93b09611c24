import { Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { assignmentQuery, useSaveAssignment } from '../api/queries/assignments.ts';
import { languagesQuery } from '../api/queries/runs.ts';
import { isFullAssignment } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { AssignmentForm } from '../modules/AssignmentForm.tsx';
import { draftFrom, emptyDraft, toBody } from '../modules/assignment-form-model.ts';

/** Create (no slug in the URL) or edit an assignment. */
export function AssignmentEditorPage() {
  const params = useParams();
  const course = params.course!;
  const slug = params.slug;
  const existing = useQuery({ ...assignmentQuery(course, slug ?? ''), enabled: slug !== undefined });
  const languages = useQuery(languagesQuery());
  const save = useSaveAssignment(course, existing.data?.id);
  const navigate = useNavigate();
  const base = `/courses/${encodeURIComponent(course)}`;
  if (languages.isPending || (slug && existing.isPending)) return <Loading />;
  if (languages.isError) return <ErrorAlert error={languages.error} />;
  if (existing.isError) return <ErrorAlert error={existing.error} />;
  if (existing.data && !isFullAssignment(existing.data))
    return (
      <ErrorAlert
        error={new Error('Only the course instructors can edit this assignment.')}
        title="Not allowed"
      />
    );
  return (
    <Stack maw={1100}>
      <div>
        <Text size="sm" c="dimmed">
          {course}
        </Text>
        <Title order={2}>{slug ? `Edit ${existing.data?.title}` : 'New assignment'}</Title>
      </div>
      <AssignmentForm
        initial={existing.data && isFullAssignment(existing.data) ? draftFrom(existing.data) : emptyDraft()}
        languages={languages.data}
        isNew={!slug}
        saving={save.isPending}
        error={save.error}
        onCancel={() => navigate(slug ? `${base}/assignments/${slug}` : base)}
        onSave={(draft) =>
          save.mutate(toBody(draft), {
            onSuccess: (saved) => navigate(`${base}/assignments/${encodeURIComponent(saved.slug)}`),
          })
        }
      />
    </Stack>
  );
}
