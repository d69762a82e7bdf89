// `#/interviews/new`: role, candidate, duration, language, resume (parsed for checking) and
// job description; Create stores the interview and makes its first invite link.
import { messageOf } from '../api';
import type { Interview, InterviewCreate, ParsedResume, Resume, Role } from '../types';
import { field, h, replace } from '../ui';
import type { Context, View } from './app';
import { createInvite, inviteLink } from './invite_link';

export function newInterviewView(ctx: Context): View {
  const role = h('select', { id: 'interview-role', testid: 'interview-role' }, h('option', { value: '' }, 'Loading roles…'));
  const candidate = h('input', { id: 'interview-candidate', testid: 'interview-candidate', maxlength: 200, autocomplete: 'off' });
  const duration = h('input', {
    id: 'interview-duration',
    testid: 'interview-duration',
    type: 'number',
    min: 1,
    max: 180,
    value: 30,
    inputmode: 'numeric',
    required: true,
  });
  const language = h(
    'select',
    { id: 'interview-language', testid: 'interview-language' },
    h('option', { value: 'en' }, 'English'),
    h('option', { value: 'es' }, 'Spanish'),
  );
  const resumeFile = h('input', { id: 'resume-file', testid: 'resume-file', type: 'file', accept: 'application/pdf,.pdf' });
  const resumeStatus = h('p', { class: 'muted', role: 'status' });
  const parsedSlot = h('div', {});
  const jobDescription = h('textarea', { id: 'interview-job-description', testid: 'interview-job-description', rows: 5, maxlength: 20000 });
  const nudges = h('input', { id: 'interview-nudges', testid: 'interview-nudges', type: 'checkbox', checked: true });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'create-interview' }, 'Create interview');
  const error = h('p', { class: 'error', role: 'alert', testid: 'interview-error' });
  const result = h('div', { class: 'result' });
  let resume: Resume | null = null;
  let uploading = false;

  ctx.session
    .api<Role[]>('/roles')
    .then((roles) => {
      replace(
        role,
        h('option', { value: '' }, roles.length === 0 ? 'No roles yet (general interview)' : 'No role (general interview)'),
        ...roles.map((r, i) => h('option', { value: r.id, selected: i === 0 }, r.name)),
      );
    })
    .catch((err: unknown) => {
      replace(role, h('option', { value: '' }, 'Roles could not load'));
      error.textContent = messageOf(err);
    });

  resumeFile.addEventListener('change', () => {
    const file = resumeFile.files?.[0];
    resume = null;
    parsedSlot.replaceChildren();
    if (!file) {
      resumeStatus.textContent = '';
      return;
    }
    const form = new FormData();
    form.append('file', file, file.name);
    uploading = true;
    resumeStatus.textContent = `Reading ${file.name}…`;
    ctx.session
      .api<Resume>('/resumes/upload', { form })
      .then((stored) => {
        resume = stored;
        resumeStatus.textContent = `${stored.filename} read. Check what was found:`;
        replace(parsedSlot, parsedResume(stored.parsed));
        if (candidate.value.trim() === '' && stored.parsed.contact.name.trim() !== '') {
          candidate.value = stored.parsed.contact.name.trim();
        }
      })
      .catch((err: unknown) => {
        resumeStatus.textContent = `The resume could not be read: ${messageOf(err)}`;
      })
      .finally(() => {
        uploading = false;
      });
  });

  const form = h(
    'form',
    { class: 'card', testid: 'new-interview-form', 'aria-labelledby': 'new-interview-title', novalidate: true },
    h('h1', { id: 'new-interview-title' }, 'New interview'),
    h(
      'div',
      { class: 'grid two' },
      field('Role', role),
      field('Candidate name', candidate),
      field('Duration (minutes)', duration, '1 to 180 minutes.'),
      field('Language', language),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Resume'),
      field('Resume (PDF)', resumeFile, 'Optional. The interviewer asks about it; check what was read below.'),
      resumeStatus,
      parsedSlot,
    ),
    field('Job description (optional)', jobDescription),
    h(
      'div',
      { class: 'check' },
      nudges,
      h('label', { for: 'interview-nudges' }, 'Show the candidate gentle tips on their delivery (volume, pace)'),
    ),
    h('div', { class: 'actions' }, submit),
    error,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const minutes = Math.round(Number(duration.value));
    if (!Number.isFinite(minutes) || minutes < 1 || minutes > 180) {
      error.textContent = 'The duration must be 1 to 180 minutes.';
      duration.focus();
      return;
    }
    if (uploading) {
      error.textContent = 'Wait for the resume to finish reading.';
      return;
    }
    const body: InterviewCreate = {
      duration_minutes: minutes,
      language: language.value,
      interview_config: { nudges: nudges.checked },
    };
    if (role.value) body.role_id = role.value;
    if (resume) body.resume_id = resume.id;
    if (candidate.value.trim()) body.candidate_name = candidate.value.trim();
    if (jobDescription.value.trim()) body.job_description = jobDescription.value.trim();
    submit.disabled = true;
    ctx.session
      .api<Interview>('/interviews', { json: body })
      .then((interview) => {
        form.hidden = true;
        showCreated(ctx, result, interview);
      })
      .catch((err: unknown) => {
        error.textContent = messageOf(err);
        submit.disabled = false;
      });
  });

  return { title: 'New interview', element: h('div', { class: 'page' }, form, result) };
}

function showCreated(ctx: Context, slot: HTMLElement, interview: Interview): void {
  const who = interview.candidate_name ?? 'the candidate';
  const inviteSlot = h('div', { role: 'status' }, h('p', { class: 'muted' }, 'Creating the invite link…'));
  replace(
    slot,
    h(
      'section',
      { class: 'card', testid: 'interview-created', 'aria-labelledby': 'created-title' },
      h('h1', { id: 'created-title', tabindex: -1 }, 'Interview created'),
      h('p', {}, `Send this link to ${who}. They open it on a computer or phone to start the interview.`),
      inviteSlot,
      h(
        'p',
        { class: 'actions' },
        h('a', { href: `#/interviews/${encodeURIComponent(interview.id)}`, class: 'button secondary', testid: 'open-interview' }, 'Open the interview page'),
        h('a', { href: '#/interviews/new', class: 'button link', on: { click: (e) => reload(e, ctx) } }, 'Create another interview'),
      ),
    ),
  );
  slot.querySelector<HTMLElement>('h1')?.focus();
  const make = (): void => {
    createInvite(ctx, interview.id)
      .then((invite) => replace(inviteSlot, inviteLink(invite)))
      .catch((err: unknown) => {
        const retry = h('button', { type: 'button', class: 'secondary' }, 'Try again');
        retry.addEventListener('click', make);
        replace(inviteSlot, h('p', { class: 'error' }, `The invite link could not be created: ${messageOf(err)}`), retry);
      });
  };
  make();
}

function reload(event: MouseEvent, ctx: Context): void {
  event.preventDefault();
  ctx.navigate('#/interviews/new');
}

/** What the resume parser found, for the recruiter to check. */
export function parsedResume(parsed: ParsedResume): HTMLElement {
  const highlights = parsed.experiences.flatMap((e) => e.highlights).slice(0, 10);
  return h(
    'section',
    { class: 'parsed', testid: 'parsed-resume', 'aria-labelledby': 'parsed-title' },
    h('h2', { id: 'parsed-title' }, 'Parsed resume'),
    h(
      'dl',
      { class: 'facts compact' },
      h('div', {}, h('dt', {}, 'Name'), h('dd', { testid: 'parsed-name' }, parsed.contact.name || 'Not found')),
      h(
        'div',
        {},
        h('dt', {}, 'Experience'),
        h(
          'dd',
          {},
          parsed.experiences.length === 0
            ? 'None found'
            : h(
                'ul',
                { class: 'plain', testid: 'parsed-experiences' },
                ...parsed.experiences.map((e) =>
                  h(
                    'li',
                    {},
                    [e.title, e.company].filter((x) => x).join(' at ') || 'Untitled position',
                    e.start_date || e.end_date ? h('span', { class: 'muted' }, ` (${e.start_date ?? '?'} – ${e.end_date ?? 'now'})`) : null,
                  ),
                ),
              ),
        ),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Skills'),
        h(
          'dd',
          {},
          parsed.skills.length === 0
            ? 'None found'
            : h('ul', { class: 'chips', testid: 'parsed-skills' }, ...parsed.skills.slice(0, 40).map((s) => h('li', { class: 'chip' }, s))),
        ),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Highlights'),
        h(
          'dd',
          {},
          highlights.length === 0
            ? 'None found'
            : h('ul', { class: 'plain', testid: 'parsed-highlights' }, ...highlights.map((x) => h('li', {}, x))),
        ),
      ),
    ),
  );
}
