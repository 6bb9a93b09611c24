import { Button, Group } from '@mantine/core';
import { Link } from 'react-router';
import type { MyLabComponent } from '../api/types.ts';
import { labLinks } from '../utils/labs.ts';

/** Open terminal / desktop / web for one component of one copy (disabled until the copy is usable). */
export function LabOpenButtons({
  deploymentId,
  userId,
  component,
  disabled = false,
}: {
  deploymentId: string;
  userId: string;
  component: MyLabComponent;
  disabled?: boolean;
}) {
  const links = labLinks(deploymentId, userId, component.name);
  const label = (what: string) => `${what} (${component.name})`;
  return (
    <Group gap="xs">
      {component.terminal ? (
        <Button
          size="xs"
          component={Link}
          to={links.terminal}
          disabled={disabled}
          aria-label={label('Open terminal')}
        >
          Open terminal
        </Button>
      ) : null}
      {component.vnc ? (
        <Button
          size="xs"
          component={Link}
          to={links.desktop}
          disabled={disabled}
          aria-label={label('Open desktop')}
        >
          Open desktop
        </Button>
      ) : null}
      {component.httpPorts.map((port) => (
        <Button
          key={port}
          size="xs"
          variant="default"
          component="a"
          href={links.web(port)}
          target="_blank"
          rel="noopener"
          disabled={disabled}
          aria-label={label(`Open web :${port}`)}
        >
          Open web :{port}
        </Button>
      ))}
    </Group>
  );
}
