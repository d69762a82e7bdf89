// `#/login`: email or username and password; tokens go to sessionStorage.
import { ApiError } from '../api';
import { h } from '../ui';
import type { Context, View } from './app';

export function loginView(ctx: Context): View {
  const username = h('input', {
    id: 'login-username',
    testid: 'login-username',
    name: 'username',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    id: 'login-password',
    testid: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, 'Sign in');
  const error = h('p', { class: 'error', testid: 'login-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'card narrow', testid: 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('p', { class: 'muted' }, 'Sign in to manage roles, interviews and reports.'),
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Email or username'), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password),
    h('div', { class: 'actions' }, submit),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    if (username.value.trim() === '' || password.value === '') {
      error.textContent = 'Enter your email or username and your password.';
      (username.value.trim() === '' ? username : password).focus();
      return;
    }
    submit.disabled = true;
    ctx.session
      .login(username.value.trim(), password.value)
      .then(() => ctx.afterLogin())
      .catch((err: unknown) => {
        error.textContent = loginMessage(err);
        password.select();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return { title: 'Sign in', element: form };
}

function loginMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Sign-in failed. Try again.';
  if (err.status === 401) return 'Incorrect email, username or password.';
  if (err.status === 429) return 'Too many attempts. Wait a minute and try again.';
  return err.detail;
}
