// `#/roles` and `#/roles/new`: the recruiter's roles with their skills and rubric, and the
// form that creates one (the same page; `#/roles/new` starts in the form).
import { messageOf } from '../api';
import type { Role, RoleInput, RubricDimension } from '../types';
import { field, h, replace } from '../ui';
import type { Context, View } from './app';

const LEVELS = ['Junior', 'Mid-level', 'Senior', 'Staff', 'Principal'];

export function rolesView(ctx: Context): View {
  const list = h('div', { class: 'role-list', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading roles…'));
  // A new role re-renders the page, which lists it.
  const form = roleForm(ctx, () => ctx.navigate('#/roles'));
  const load = async (): Promise<void> => {
    try {
      const roles = await ctx.session.api<Role[]>('/roles');
      list.removeAttribute('aria-busy');
      replace(
        list,
        roles.length === 0
          ? h('p', { class: 'muted' }, 'No roles yet. Create the first one below.')
          : h('ul', { class: 'cards' }, ...roles.map(roleRow)),
      );
    } catch (err) {
      list.removeAttribute('aria-busy');
      replace(list, h('p', { class: 'error', role: 'alert' }, messageOf(err)));
    }
  };
  void load();
  const element = h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Roles'),
      h('a', { href: '#role-form-title', class: 'button secondary', on: { click: (e) => jumpToForm(e, form) } }, 'New role'),
    ),
    h('section', { 'aria-labelledby': 'roles-list-title' }, h('h2', { id: 'roles-list-title', class: 'visually-hidden' }, 'Your roles'), list),
    form,
  );
  if (location.hash === '#/roles/new') {
    window.setTimeout(() => form.querySelector<HTMLInputElement>('input')?.focus(), 0);
  }
  return { title: 'Roles', element };
}

function jumpToForm(event: MouseEvent, form: HTMLElement): void {
  event.preventDefault();
  form.scrollIntoView({ behavior: 'smooth', block: 'start' });
  form.querySelector<HTMLInputElement>('input')?.focus({ preventScroll: true });
}

function roleRow(role: Role): HTMLLIElement {
  const s = role.interview_structure;
  return h(
    'li',
    { class: 'card role-row', testid: 'role-row', 'data-id': role.id },
    h('h3', {}, role.name),
    h('p', { class: 'muted' }, `${role.category} · ${role.experience_level}`),
    role.description ? h('p', {}, role.description) : null,
    h(
      'dl',
      { class: 'facts compact' },
      h(
        'div',
        {},
        h('dt', {}, 'Skills'),
        h(
          'dd',
          {},
          role.required_skills.length === 0
            ? 'None listed'
            : h('ul', { class: 'chips' }, ...role.required_skills.map((sk) => h('li', { class: 'chip' }, `${sk.name} (${sk.level})`))),
        ),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Rubric'),
        h(
          'dd',
          {},
          role.rubric.length === 0
            ? 'Default rubric'
            : h('ul', { class: 'plain' }, ...role.rubric.map((d) => h('li', {}, `${d.name} — weight ${d.weight}`))),
        ),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Questions'),
        h('dd', {}, `${s.technical} technical, ${s.behavioral} behavioral${s.coding > 0 ? ', coding exercise' : ''}`),
      ),
    ),
  );
}

/** Parses the rubric box: one criterion a line, `Name` or `Name: weight`. */
export function parseRubric(text: string): RubricDimension[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const m = /^(.*?)(?:\s*[:=]\s*(\d+(?:\.\d+)?))?$/.exec(line);
      const name = (m?.[1] ?? line).trim();
      const weight = m?.[2] ? Number(m[2]) : 1;
      return { name, weight };
    });
}

/** Parses the skills box: comma-separated, each optionally `Name (level)`. */
export function parseSkills(text: string, defaultLevel: string): RoleInput['required_skills'] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^(.*?)\s*\(([^)]+)\)$/.exec(s);
      return m ? { name: (m[1] ?? s).trim(), level: (m[2] ?? defaultLevel).trim() } : { name: s, level: defaultLevel };
    });
}

function roleForm(ctx: Context, created: (role: Role) => void): HTMLFormElement {
  const name = h('input', { id: 'role-name', testid: 'role-name', required: true, maxlength: 200 });
  const category = h('input', { id: 'role-category', testid: 'role-category', required: true, maxlength: 100, value: 'Engineering' });
  const level = h('select', { id: 'role-level', testid: 'role-level' }, ...LEVELS.map((l) => h('option', { value: l, selected: l === 'Senior' }, l)));
  const description = h('textarea', { id: 'role-description', testid: 'role-description', rows: 3, maxlength: 5000 });
  const skills = h('input', { id: 'role-skills', testid: 'role-skills', placeholder: 'Rust, PostgreSQL, System design' });
  const rubric = h('textarea', {
    id: 'role-rubric',
    testid: 'role-rubric',
    rows: 4,
    placeholder: 'Technical depth: 2\nProblem solving: 2\nCommunication: 1',
  });
  const technical = h('input', { id: 'role-technical', testid: 'role-technical', type: 'number', min: 0, max: 50, value: 3, inputmode: 'numeric' });
  const behavioral = h('input', { id: 'role-behavioral', testid: 'role-behavioral', type: 'number', min: 0, max: 50, value: 2, inputmode: 'numeric' });
  const coding = h('input', { id: 'role-coding', testid: 'role-coding', type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'role-submit' }, 'Create role');
  const error = h('p', { class: 'error', role: 'alert', testid: 'role-error' });
  const form = h(
    'form',
    { class: 'card', testid: 'role-form', 'aria-labelledby': 'role-form-title', novalidate: true },
    h('h2', { id: 'role-form-title' }, 'Create a role'),
    h(
      'div',
      { class: 'grid three' },
      field('Title', name),
      field('Category', category),
      field('Experience level', level),
    ),
    field('Skills', skills, 'Comma-separated; add a level in brackets if you like: "Rust (Expert)".'),
    field('Description (optional)', description),
    field('Rubric criteria', rubric, 'One criterion per line, with an optional weight: "Communication: 2". Leave empty for the default rubric.'),
    h(
      'fieldset',
      { class: 'grid three' },
      h('legend', {}, 'Interview plan'),
      field('Technical questions', technical),
      field('Behavioral questions', behavioral),
      h('div', { class: 'check' }, coding, h('label', { for: 'role-coding' }, 'Include a coding exercise')),
    ),
    h('div', { class: 'actions' }, submit),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    if (name.value.trim() === '' || category.value.trim() === '') {
      error.textContent = 'A role needs a title and a category.';
      (name.value.trim() === '' ? name : category).focus();
      return;
    }
    const input: RoleInput = {
      name: name.value.trim(),
      category: category.value.trim(),
      experience_level: level.value,
      required_skills: parseSkills(skills.value, level.value),
      rubric: parseRubric(rubric.value),
      interview_structure: {
        technical: clampCount(technical.value),
        behavioral: clampCount(behavioral.value),
        coding: coding.checked ? 1 : 0,
      },
    };
    if (description.value.trim() !== '') input.description = description.value.trim();
    submit.disabled = true;
    ctx.session
      .api<Role>('/roles', { json: input })
      .then((role) => {
        form.reset();
        created(role);
      })
      .catch((err: unknown) => {
        error.textContent = messageOf(err);
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function clampCount(value: string): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(50, Math.max(0, n)) : 0;
}
