import { Anchor, Button, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { assignmentsQuery } from '../api/queries/assignments.ts';
import { meQuery } from '../api/queries/auth.ts';
import { enrollmentsQuery } from '../api/queries/courses.ts';
import { runFilesQuery, useLiveRun, useRerun } from '../api/queries/runs.ts';
import type { RunFiles, RunView } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { CodeEditor } from '../modules/CodeEditor.tsx';
import { saveDraft } from '../modules/drafts.ts';
import { RunResult } from '../modules/RunResult.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { formatBytes, formatDate } from '../utils/format.ts';

/** One run or submission: who, when, its files and its results; staff may re-run it. */
export function RunPage() {
  const id = useParams().id!;
  const run = useLiveRun(id);
  if (run.isPending) return <Loading />;
  if (run.isError) return <ErrorAlert error={run.error} />;
  return <RunDetails run={run.data} />;
}

function RunDetails({ run }: { run: RunView }) {
  const files = useQuery(runFilesQuery(run.id));
  const { isStaff, course } = useCourseRole(run.courseId);
  const roster = useQuery({
    ...enrollmentsQuery(course?.code ?? ''),
    enabled: isStaff && course !== undefined,
  });
  const student = roster.data?.find((e) => e.userId === run.userId);
  const rerun = useRerun();
  const navigate = useNavigate();
  return (
    <Stack>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div>
          <Text size="sm" c="dimmed">
            {course ? (
              <Anchor component={Link} to={`/courses/${encodeURIComponent(course.code)}`}>
                {course.code}
              </Anchor>
            ) : null}
          </Text>
          <Title order={2}>{run.kind === 'submission' ? 'Submission' : 'Run'}</Title>
          <Text size="sm" c="dimmed">
            {student ? `${student.displayName} (${student.username}) · ` : ''}
            {run.language} · submitted {formatDate(run.createdAt)}
            {run.finishedAt ? ` · finished ${formatDate(run.finishedAt)}` : ''}
            {run.attempts > 1 ? ` · ${run.attempts} attempts` : ''}
          </Text>
        </div>
        <Group gap="xs">
          {files.data && course ? <OpenInEditor run={run} files={files.data} course={course.code} /> : null}
          {isStaff && run.kind === 'submission' ? (
            <Button
              variant="default"
              loading={rerun.isPending}
              onClick={() =>
                rerun.mutate(run.id, { onSuccess: (created) => navigate(`/runs/${created.id}`) })
              }
            >
              Re-run against current tests
            </Button>
          ) : null}
        </Group>
      </Group>
      <ErrorAlert error={rerun.error} />
      <Paper withBorder p="md">
        <RunResult run={run} />
      </Paper>
      <Title order={3}>Files</Title>
      <ErrorAlert error={files.error} />
      {files.data ? <FileTabs files={files.data} /> : files.isPending ? <Loading /> : null}
    </Stack>
  );
}

/** The owner of a submission can take its files back into the assignment's editor. */
function OpenInEditor({ run, files, course }: { run: RunView; files: RunFiles; course: string }) {
  const me = useQuery(meQuery());
  const assignments = useQuery({ ...assignmentsQuery(course), enabled: run.assignmentId !== null });
  const navigate = useNavigate();
  const assignment = assignments.data?.find((a) => a.id === run.assignmentId);
  if (!assignment || me.data?.id !== run.userId) return null;
  const textFiles = files.files.flatMap((f) =>
    f.content === null ? [] : [{ path: f.path, content: f.content }],
  );
  return (
    <Button
      variant="default"
      onClick={() => {
        saveDraft(assignment.id, { language: run.language, files: textFiles });
        navigate(`/courses/${encodeURIComponent(course)}/assignments/${encodeURIComponent(assignment.slug)}`);
      }}
    >
      Open in editor
    </Button>
  );
}

function FileTabs({ files }: { files: RunFiles }) {
  return (
    <Tabs defaultValue={files.mainFile} keepMounted={false}>
      <Tabs.List>
        {files.files.map((f) => (
          <Tabs.Tab key={f.path} value={f.path} ff="monospace">
            {f.path}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {files.files.map((f) => (
        <Tabs.Panel key={f.path} value={f.path} pt="xs">
          {f.content !== null ? (
            <CodeEditor path={f.path} value={f.content} readOnly height="auto" label={`File ${f.path}`} />
          ) : (
            <Text c="dimmed">Binary file, {formatBytes(f.size)}.</Text>
          )}
        </Tabs.Panel>
      ))}
    </Tabs>
  );
}
