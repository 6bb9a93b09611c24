import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { Link, useRouteError } from 'react-router';
import { errorMessage } from '../components/ErrorAlert.tsx';

export function NotFoundPage() {
  return (
    <Center py="xl">
      <Stack align="center">
        <Title order={2}>Page not found</Title>
        <Text c="dimmed">There is nothing at this address.</Text>
        <Button component={Link} to="/">
          Back to your courses
        </Button>
      </Stack>
    </Center>
  );
}

/** Shown when a page throws while rendering: say so plainly, offer a way back. */
export function CrashPage() {
  const error = useRouteError();
  return (
    <Center py="xl" p="md">
      <Stack align="center" maw={560}>
        <Title order={2}>Something went wrong</Title>
        <Text c="dimmed" ta="center">
          {errorMessage(error)}
        </Text>
        <Button component="a" href="/">
          Reload Aperture
        </Button>
      </Stack>
    </Center>
  );
}
