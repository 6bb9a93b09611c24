// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { gradebook } from '../testing/fixtures.ts';
import { renderWithProviders } from '../testing/render.tsx';
import { GradebookTable } from './GradebookTable.tsx';

afterEach(cleanup);

const usernames = () => screen.getAllByTestId('gradebook-row').map((r) => r.getAttribute('data-username'));

describe('GradebookTable', () => {
  it('sorts by a column header, then reverses on a second click', () => {
    renderWithProviders(<GradebookTable course="DEMO101" gradebook={gradebook} csvUrl="/csv" />);
    expect(usernames()).toEqual(['ada', 'robin', 'sam']);
    fireEvent.click(screen.getByRole('button', { name: /Total/ }));
    expect(usernames()).toEqual(['ada', 'sam', 'robin']);
    fireEvent.click(screen.getByRole('button', { name: /Total/ }));
    expect(usernames()).toEqual(['robin', 'sam', 'ada']);
  });

  it('filters by name and links the CSV export', () => {
    renderWithProviders(<GradebookTable course="DEMO101" gradebook={gradebook} csvUrl="/api/csv" />);
    fireEvent.change(screen.getByLabelText('Filter students'), { target: { value: 'robin' } });
    expect(usernames()).toEqual(['robin']);
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/api/csv');
  });

  it('links scores to the student’s submissions and says when there are no students', () => {
    renderWithProviders(<GradebookTable course="DEMO101" gradebook={gradebook} csvUrl="/csv" />);
    expect(screen.getAllByRole('link', { name: '4' })[0]!.getAttribute('href')).toBe(
      '/courses/DEMO101/assignments/sum?student=u1',
    );
    cleanup();
    renderWithProviders(<GradebookTable course="X" gradebook={{ ...gradebook, rows: [] }} csvUrl="/csv" />);
    expect(screen.getByText('No students yet')).toBeTruthy();
  });
});
