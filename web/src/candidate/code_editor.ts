// The coding exercise: a CodeMirror 6 editor with a language choice and Submit, which stores
// the code on the interview's transcript. Loaded only when the coding phase starts.
import { autocompletion } from '@codemirror/autocomplete';
import { Compartment, type Extension } from '@codemirror/state';
import { EditorView, basicSetup } from 'codemirror';
import { messageOf } from '../api';
import { h } from '../ui';

interface Language {
  /** The name stored with the submission. */
  id: string;
  label: string;
  /** Highlighting and indentation; each language is its own chunk, loaded when chosen. */
  load: () => Promise<Extension>;
}

const LANGUAGES: Language[] = [
  { id: 'python', label: 'Python', load: () => import('@codemirror/lang-python').then((m) => m.python()) },
  {
    id: 'javascript',
    label: 'JavaScript',
    load: () => import('@codemirror/lang-javascript').then((m) => m.javascript()),
  },
  {
    id: 'typescript',
    label: 'TypeScript',
    load: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true })),
  },
  { id: 'rust', label: 'Rust', load: () => import('@codemirror/lang-rust').then((m) => m.rust()) },
  { id: 'go', label: 'Go', load: () => import('@codemirror/lang-go').then((m) => m.go()) },
  { id: 'java', label: 'Java', load: () => import('@codemirror/lang-java').then((m) => m.java()) },
  { id: 'c++', label: 'C++', load: () => import('@codemirror/lang-cpp').then((m) => m.cpp()) },
];

/** Submits `code` in `language`; resolves once it is stored. */
export type SubmitCode = (language: string, code: string) => Promise<void>;

export class CodeEditor {
  readonly element: HTMLElement;
  private readonly view: EditorView;
  private readonly language = new Compartment();

  constructor(submit: SubmitCode) {
    const select = h(
      'select',
      { id: 'code-language', testid: 'code-language' },
      ...LANGUAGES.map((l) => h('option', { value: l.id }, l.label)),
    );
    const host = h('div', { class: 'editor-host' });
    const first = LANGUAGES[0] as Language;
    this.view = new EditorView({
      doc: '',
      parent: host,
      extensions: [
        basicSetup,
        // Suggestions only on request (Ctrl+Space): a list popping up while typing distracts
        // in an interview and steals the arrow keys.
        autocompletion({ activateOnTyping: false }),
        this.language.of([]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({
          'aria-label': 'Code editor',
          'aria-describedby': 'code-editor-help',
        }),
      ],
    });
    const useLanguage = (chosen: Language): void => {
      chosen
        .load()
        .then((extension) => {
          if (select.value === chosen.id) {
            this.view.dispatch({ effects: this.language.reconfigure(extension) });
          }
        })
        .catch(() => undefined);
    };
    select.addEventListener('change', () => {
      useLanguage(LANGUAGES.find((l) => l.id === select.value) ?? first);
    });
    useLanguage(first);

    const status = h('p', { class: 'muted', testid: 'code-status', role: 'status' });
    const submitButton = h('button', { type: 'button', class: 'primary', testid: 'code-submit' }, 'Submit');
    submitButton.addEventListener('click', () => {
      const code = this.view.state.doc.toString();
      if (code.trim() === '') {
        status.textContent = 'Write some code before submitting.';
        return;
      }
      submitButton.disabled = true;
      status.textContent = 'Submitting…';
      submit(select.value, code)
        .then(() => {
          status.textContent = 'Submitted';
        })
        .catch((err: unknown) => {
          status.textContent = `Not submitted: ${messageOf(err)}`;
        })
        .finally(() => {
          submitButton.disabled = false;
        });
    });

    this.element = h(
      'section',
      { class: 'card code-editor', testid: 'code-editor', 'aria-labelledby': 'code-title' },
      h('h2', { id: 'code-title' }, 'Coding exercise'),
      h(
        'p',
        { id: 'code-editor-help', class: 'hint' },
        'Write your answer here and press Submit when you are ready; you can keep talking while you type. ' +
          'Tab moves on to the next control.',
      ),
      h('div', { class: 'field inline' }, h('label', { for: 'code-language' }, 'Language'), select),
      host,
      h(
        'div',
        { class: 'actions' },
        submitButton,
        h('button', { type: 'button', class: 'secondary', disabled: true, 'aria-describedby': 'run-note' }, 'Run'),
      ),
      h('p', { id: 'run-note', class: 'hint' }, 'Running code is not available yet.'),
      status,
    );
  }

  /** The editor's text. */
  get code(): string {
    return this.view.state.doc.toString();
  }

  focus(): void {
    this.view.focus();
  }
}
