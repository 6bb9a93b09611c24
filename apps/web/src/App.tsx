import { createTheme, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, type RouteObject, RouterProvider } from 'react-router';
import { isApiError } from './api/client.ts';
import { AppLayout } from './modules/AppLayout.tsx';
import { ConnectionBanner } from './modules/ConnectionBanner.tsx';
import { AssignmentEditorPage } from './pages/AssignmentEditorPage.tsx';
import { AssignmentPage } from './pages/AssignmentPage.tsx';
import { SystemPage } from './pages/admin/SystemPage.tsx';
import { UsersPage } from './pages/admin/UsersPage.tsx';
import { CourseLabsPage } from './pages/CourseLabsPage.tsx';
import { CoursePage } from './pages/CoursePage.tsx';
import { CoursesPage } from './pages/CoursesPage.tsx';
import { CrashPage, NotFoundPage } from './pages/ErrorPages.tsx';
import { GradebookPage } from './pages/GradebookPage.tsx';
import { LabBuilderPage } from './pages/LabBuilderPage.tsx';
import { LabDeploymentPage } from './pages/LabDeploymentPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { MyLabsPage } from './pages/MyLabsPage.tsx';
import { RosterPage } from './pages/RosterPage.tsx';
import { RunPage } from './pages/RunPage.tsx';
import { TokensPage } from './pages/TokensPage.tsx';

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage />, errorElement: <CrashPage /> },
  {
    path: '/',
    element: <AppLayout />,
    errorElement: <CrashPage />,
    children: [
      { index: true, element: <CoursesPage /> },
      { path: 'courses/:course', element: <CoursePage /> },
      { path: 'courses/:course/gradebook', element: <GradebookPage /> },
      { path: 'courses/:course/roster', element: <RosterPage /> },
      { path: 'courses/:course/assignments/new', element: <AssignmentEditorPage /> },
      { path: 'courses/:course/assignments/:slug', element: <AssignmentPage /> },
      { path: 'courses/:course/assignments/:slug/edit', element: <AssignmentEditorPage /> },
      { path: 'courses/:course/labs', element: <CourseLabsPage /> },
      { path: 'courses/:course/labs/:lab', element: <LabBuilderPage /> },
      { path: 'courses/:course/labs/:lab/deployments/:deployment', element: <LabDeploymentPage /> },
      { path: 'my-labs', element: <MyLabsPage /> },
      // Not /labs/…: that prefix is the server's HTTP proxy into a lab, outside this app.
      // Loaded on first use: xterm.js and noVNC are most of the bundle and most pages need neither.
      {
        path: 'terminal/:deployment/:user/:component',
        lazy: async () => ({ Component: (await import('./pages/LabTerminalPage.tsx')).LabTerminalPage }),
      },
      {
        path: 'desktop/:deployment/:user/:component',
        lazy: async () => ({ Component: (await import('./pages/LabDesktopPage.tsx')).LabDesktopPage }),
      },
      { path: 'runs/:id', element: <RunPage /> },
      { path: 'tokens', element: <TokensPage /> },
      { path: 'admin/users', element: <UsersPage /> },
      { path: 'admin/system', element: <SystemPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'sm' });

/** Retry only what may pass on a second try: the network and a busy server, not a 4xx. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (count, error) =>
          count < 2 && (!isApiError(error) || ['network', 'unavailable', 'internal'].includes(error.code)),
      },
    },
  });
}

export function App({ queryClient = createQueryClient() }: { queryClient?: QueryClient }) {
  const router = createBrowserRouter(routes);
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <QueryClientProvider client={queryClient}>
        <ConnectionBanner />
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  );
}
