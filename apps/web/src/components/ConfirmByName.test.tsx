// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../testing/render.tsx';
import { ConfirmByName } from './ConfirmByName.tsx';

afterEach(cleanup);

describe('ConfirmByName', () => {
  it('enables the whole-class action only once the lab name is typed', async () => {
    const confirm = vi.fn();
    renderWithProviders(
      <ConfirmByName
        opened
        title="Destroy?"
        name="webserver"
        action="Destroy every copy"
        onConfirm={confirm}
        onClose={() => undefined}
      />,
    );
    const button = await screen.findByRole('button', { name: 'Destroy every copy' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    const input = screen.getByLabelText(/Type the lab's name/);
    fireEvent.change(input, { target: { value: 'webserve' } });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(input, { target: { value: 'webserver' } });
    expect((button as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(button);
    expect(confirm).toHaveBeenCalledOnce();
  });
});
