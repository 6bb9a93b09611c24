import { AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { isApiError } from '../api/client.ts';
import { meQuery, useLogout } from '../api/queries/auth.ts';
import { coursesQuery } from '../api/queries/courses.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';

/** The signed-in frame: header, navigation (a drawer on phones), the page. */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const me = useQuery(meQuery());
  if (me.isPending) return <Loading />;
  if (me.isError) {
    if (isApiError(me.error, 'unauthenticated'))
      return (
        <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />
      );
    return (
      <Stack p="xl">
        <ErrorAlert error={me.error} />
      </Stack>
    );
  }
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }}>
              <Title order={3}>Aperture</Title>
            </Link>
          </Group>
          <UserMenu name={me.data.displayName || me.data.username} />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <Navigation role={me.data.role} onNavigate={close} />
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

function UserMenu({ name }: { name: string }) {
  const logout = useLogout();
  const navigate = useNavigate();
  return (
    <Group gap="sm" wrap="nowrap">
      <Text size="sm" visibleFrom="xs" data-testid="signed-in-as">
        {name}
      </Text>
      <Button
        variant="default"
        size="xs"
        loading={logout.isPending}
        onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}
      >
        Sign out
      </Button>
    </Group>
  );
}

function Navigation({ role, onNavigate }: { role: string; onNavigate: () => void }) {
  const location = useLocation();
  const courses = useQuery(coursesQuery());
  const item = (to: string, label: string, exact = false, indent = false) => (
    <NavLink
      key={to}
      component={Link}
      to={to}
      label={label}
      pl={indent ? 'xl' : 'sm'}
      onClick={onNavigate}
      active={exact ? location.pathname === to : location.pathname.startsWith(to)}
    />
  );
  return (
    <Stack gap={2}>
      {item('/', 'Courses', true)}
      {(courses.data ?? []).map((course) =>
        item(`/courses/${encodeURIComponent(course.code)}`, course.code, false, true),
      )}
      {item('/my-labs', 'My labs')}
      {item('/tokens', 'API tokens')}
      {role === 'admin' || role === 'staff' ? (
        <>
          <Text size="xs" c="dimmed" fw={700} tt="uppercase" mt="md" px="sm">
            Admin
          </Text>
          {role === 'admin' ? item('/admin/users', 'Users') : null}
          {item('/admin/system', 'System')}
        </>
      ) : null}
    </Stack>
  );
}
