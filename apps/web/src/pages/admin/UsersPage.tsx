import {
  Badge,
  Button,
  Group,
  Paper,
  PasswordInput,
  Select,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useCreateUser, usersQuery } from '../../api/queries/admin.ts';
import type { NewUser } from '../../api/types.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loading } from '../../components/Loading.tsx';
import { formatDate } from '../../utils/format.ts';

const ROLE_LABELS = { admin: 'Admin', staff: 'Staff (may create courses)', user: 'User' } as const;

export function UsersPage() {
  const users = useQuery(usersQuery());
  return (
    <Stack>
      <Title order={2}>Users</Title>
      <NewUserForm />
      {users.isPending ? <Loading /> : null}
      <ErrorAlert error={users.error} />
      {users.data ? (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Username</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td ff="monospace">{u.username}</Table.Td>
                  <Table.Td>{u.displayName}</Table.Td>
                  <Table.Td>
                    <Badge
                      variant="light"
                      color={u.role === 'admin' ? 'red' : u.role === 'staff' ? 'grape' : 'blue'}
                    >
                      {u.role}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDate(u.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

function NewUserForm() {
  const [user, setUser] = useState<NewUser>({ username: '', displayName: '', password: '', role: 'user' });
  const create = useCreateUser();
  const body = (): NewUser => ({
    username: user.username,
    role: user.role,
    ...(user.displayName ? { displayName: user.displayName } : {}),
    ...(user.password ? { password: user.password } : {}),
  });
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(body(), {
            onSuccess: () => setUser({ username: '', displayName: '', password: '', role: user.role }),
          });
        }}
      >
        <Stack gap="sm">
          <Title order={4}>New user</Title>
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Username"
              required
              value={user.username}
              onChange={(e) => setUser({ ...user, username: e.currentTarget.value })}
            />
            <TextInput
              label="Display name"
              value={user.displayName ?? ''}
              onChange={(e) => setUser({ ...user, displayName: e.currentTarget.value })}
            />
            <PasswordInput
              label="Password"
              description="8 characters or more; not a commonly used password"
              value={user.password ?? ''}
              onChange={(e) => setUser({ ...user, password: e.currentTarget.value })}
            />
            <Select
              label="Role"
              allowDeselect={false}
              value={user.role}
              onChange={(v) => v && setUser({ ...user, role: v as NewUser['role'] })}
              data={Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))}
            />
            <Button type="submit" loading={create.isPending}>
              Create user
            </Button>
          </Group>
          <ErrorAlert error={create.error} />
          {create.isSuccess ? <Badge color="green">Created {create.data.username}</Badge> : null}
        </Stack>
      </form>
    </Paper>
  );
}
