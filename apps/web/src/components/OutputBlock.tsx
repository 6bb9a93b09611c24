import { Code, Stack, Text } from '@mantine/core';

/** A labelled block of program output; says "(empty)" rather than showing nothing. */
export function OutputBlock({ label, text }: { label: string; text: string | null }) {
  if (text === null) return null;
  return (
    <Stack gap={4}>
      <Text size="xs" fw={600} c="dimmed" tt="uppercase">
        {label}
      </Text>
      <Code block style={{ maxHeight: '16rem', overflow: 'auto', whiteSpace: 'pre-wrap' }}>
        {text === '' ? '(empty)' : text}
      </Code>
    </Stack>
  );
}
