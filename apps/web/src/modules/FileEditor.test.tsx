// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderWithProviders } from '../testing/render.tsx';
import type { EditorFile } from '../utils/files.ts';
import { FileEditor, validateFileName } from './FileEditor.tsx';

afterEach(cleanup);

function Harness() {
  const [files, setFiles] = useState<EditorFile[]>([{ path: 'main.py', content: 'print(1)\n' }]);
  return (
    <>
      <FileEditor files={files} onChange={setFiles} />
      <output data-testid="paths">{files.map((f) => f.path).join(',')}</output>
    </>
  );
}

describe('FileEditor', () => {
  it('adds, renames and deletes files', async () => {
    renderWithProviders(<Harness />);
    fireEvent.click(screen.getByRole('button', { name: 'Add a file' }));
    fireEvent.change(await screen.findByLabelText('File name'), { target: { value: 'util.py' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(screen.getByTestId('paths').textContent).toBe('main.py,util.py');

    fireEvent.click(screen.getByRole('button', { name: 'Rename util.py' }));
    const input = (await screen.findByLabelText('File name')) as HTMLInputElement;
    expect(input.value).toBe('util.py');
    fireEvent.change(input, { target: { value: 'lib/helpers.py' } });
    fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    expect(screen.getByTestId('paths').textContent).toBe('main.py,lib/helpers.py');

    fireEvent.click(screen.getByRole('button', { name: 'Delete lib/helpers.py' }));
    expect(screen.getByTestId('paths').textContent).toBe('main.py');
    expect((screen.getByRole('button', { name: 'Delete main.py' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('refuses unsafe or duplicate names', () => {
    expect(validateFileName('../x.py', [])).toMatch(/relative/);
    expect(validateFileName('/etc/passwd', [])).toMatch(/relative/);
    expect(validateFileName('main.py', ['main.py'])).toMatch(/exists/);
    expect(validateFileName('main.py', ['main.py'], 'main.py')).toBeNull();
  });
});
