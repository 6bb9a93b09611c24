// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderWithProviders } from '../testing/render.tsx';
import { Markdown, renderMarkdown } from './Markdown.tsx';

afterEach(cleanup);

describe('Markdown', () => {
  it('renders headings, code and lists', () => {
    renderWithProviders(<Markdown source={'# Sum\n\nPrint `a + b`.\n\n- one\n- two'} />);
    expect(screen.getByRole('heading', { name: 'Sum', level: 1 })).toBeTruthy();
    expect(screen.getByText('a + b').tagName).toBe('CODE');
    expect(screen.getAllByRole('listitem')).toHaveLength(2);
  });

  it('strips scripts and event handlers from a statement', () => {
    const html = renderMarkdown(
      '<img src="x" onerror="alert(1)"><script>alert(2)</script>[x](javascript:alert(3))',
    );
    expect(html).not.toMatch(/onerror|<script|javascript:/i);
  });
});
