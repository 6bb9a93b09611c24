// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { LoginPage } from './LoginPage.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderLogin() {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/courses/:course" element={<p>course page</p>} />
    </Routes>,
    { route: '/login?next=/courses/DEMO101' },
  );
}

const fill = () => {
  fireEvent.change(screen.getByLabelText(/Username/), { target: { value: 'student' } });
  fireEvent.change(screen.getByLabelText(/Password/), { target: { value: 'wrong-password' } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
};

describe('LoginPage', () => {
  it('shows the server’s message when sign-in fails', async () => {
    const fake = fakeFetch({
      'POST /api/v1/auth/login': [
        401,
        { error: { code: 'unauthenticated', message: 'Wrong username or password.' } },
      ],
    });
    vi.stubGlobal('fetch', fake.fetch);
    renderLogin();
    fill();
    expect(await screen.findByText('Wrong username or password.')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('Sign-in failed');
  });

  it('goes to the page asked for after signing in', async () => {
    const fake = fakeFetch({
      'POST /api/v1/auth/login': [
        200,
        { user: { id: 'u1', username: 'student', role: 'user' }, expiresAt: 'x' },
      ],
    });
    vi.stubGlobal('fetch', fake.fetch);
    renderLogin();
    fill();
    await waitFor(() => expect(screen.getByText('course page')).toBeTruthy());
    expect(fake.calls[0]!.body).toEqual({ username: 'student', password: 'wrong-password' });
  });
});
