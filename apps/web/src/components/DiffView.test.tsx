// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderWithProviders } from '../testing/render.tsx';
import { DiffView } from './DiffView.tsx';

afterEach(cleanup);

describe('DiffView', () => {
  it('shows expected and actual side by side, the differing line marked', () => {
    renderWithProviders(<DiffView expected={'1\n3\n'} actual={'1\n4\n'} />);
    const table = screen.getByRole('table', { name: 'Expected and actual output' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual(['same', 'changed']);
    expect(rows[1]!.textContent).toContain('3');
    expect(rows[1]!.textContent).toContain('4');
  });

  it('makes trailing spaces visible', () => {
    renderWithProviders(<DiffView expected={'a\n'} actual={'a  \n'} />);
    expect(screen.getByText('··')).toBeTruthy();
  });
});
