// The recruiter console: a header with navigation, one view at a time chosen by the hash
// (`#/login`, `#/roles`, `#/roles/new`, `#/interviews`, `#/interviews/new`, `#/interviews/{id}`).
import '../styles/console.css';
import { focusHeading, h, replace } from '../ui';
import { interviewPage } from './interview_page';
import { interviewsView } from './interviews';
import { loginView } from './login';
import { newInterviewView } from './new_interview';
import { rolesView } from './roles';
import { Session } from './session';

/** What every view gets. */
export interface Context {
  session: Session;
  navigate(hash: string): void;
  /** Goes where the recruiter was headed before signing in. */
  afterLogin(): void;
}

/** A mounted view; `dispose` stops its timers and requests. */
export interface View {
  title: string;
  element: HTMLElement;
  dispose?(): void;
}

interface Route {
  view: (ctx: Context, params: string[]) => View;
  /** Shown without a session. */
  public?: boolean;
  /** The nav entry marked current. */
  nav?: string;
}

const ROUTES: [RegExp, Route][] = [
  [/^\/login$/, { view: loginView, public: true }],
  [/^\/roles(?:\/new)?$/, { view: rolesView, nav: 'roles' }],
  [/^\/interviews$/, { view: interviewsView, nav: 'interviews' }],
  [/^\/interviews\/new$/, { view: newInterviewView, nav: 'new-interview' }],
  [/^\/interviews\/([^/]+)$/, { view: (ctx, [id]) => interviewPage(ctx, id ?? ''), nav: 'interviews' }],
];

export function startConsole(root: HTMLElement): void {
  new ConsoleApp(root).start();
}

class ConsoleApp {
  private readonly main: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly account: HTMLElement;
  private readonly session: Session;
  private readonly context: Context;
  private current: View | null = null;
  /** Where to go after signing in. */
  private next = '#/interviews';

  constructor(private readonly root: HTMLElement) {
    this.session = new Session(() => {
      this.next = location.hash.startsWith('#/') && location.hash !== '#/login' ? location.hash : this.next;
      this.navigate('#/login');
    });
    const link = (name: string, hash: string, label: string): HTMLAnchorElement =>
      h('a', { href: hash, testid: `nav-${name}`, 'data-nav': name }, label);
    this.nav = h(
      'nav',
      { class: 'nav', 'aria-label': 'Main' },
      h(
        'ul',
        {},
        h('li', {}, link('interviews', '#/interviews', 'Interviews')),
        h('li', {}, link('new-interview', '#/interviews/new', 'New interview')),
        h('li', {}, link('roles', '#/roles', 'Roles')),
      ),
    );
    const logout = h('button', { type: 'button', class: 'link-button', testid: 'logout' }, 'Log out');
    logout.addEventListener('click', () => {
      void this.session.logout().then(() => this.navigate('#/login'));
    });
    this.account = h('div', { class: 'account' }, logout);
    this.main = h('main', { id: 'main', class: 'console' });
    this.context = {
      session: this.session,
      navigate: (hash) => this.navigate(hash),
      afterLogin: () => {
        const next = this.next;
        this.next = '#/interviews';
        this.navigate(next);
      },
    };
  }

  start(): void {
    replace(
      this.root,
      h('a', { href: '#main', class: 'skip-link', on: { click: (e) => this.skip(e) } }, 'Skip to content'),
      h(
        'header',
        { class: 'topbar console-bar' },
        h('span', { class: 'brand' }, 'AI Interviewer'),
        this.nav,
        this.account,
      ),
      this.main,
    );
    window.addEventListener('hashchange', () => this.route());
    this.route();
  }

  navigate(hash: string): void {
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  private skip(event: MouseEvent): void {
    event.preventDefault();
    focusHeading(this.main);
  }

  private route(): void {
    const hash = location.hash;
    // In-page anchors such as `#turn-3` belong to the view on screen.
    if (this.current && hash !== '' && !hash.startsWith('#/')) return;
    const path = hash.startsWith('#') ? hash.slice(1) : '';
    const signedIn = this.session.signedIn;
    if (path === '' || path === '/') {
      this.navigate(signedIn ? '#/interviews' : '#/login');
      return;
    }
    const match = ROUTES.map(([re, route]) => [re.exec(path), route] as const).find(([m]) => m);
    if (match && !match[1].public && !signedIn) {
      this.next = hash;
      this.navigate('#/login');
      return;
    }
    if (match && match[1].public && signedIn && path === '/login') {
      this.navigate('#/interviews');
      return;
    }
    const view = match
      ? match[1].view(this.context, (match[0] ?? []).slice(1))
      : notFound();
    this.mount(view, match?.[1].nav);
  }

  private mount(view: View, nav: string | undefined): void {
    this.current?.dispose?.();
    this.current = view;
    const signedIn = this.session.signedIn;
    this.nav.hidden = !signedIn;
    this.account.hidden = !signedIn;
    for (const a of this.nav.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
      if (a.dataset['nav'] === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${view.title} · AI Interviewer`;
    replace(this.main, view.element);
    focusHeading(this.main);
  }
}

function notFound(): View {
  return {
    title: 'Not found',
    element: h(
      'section',
      {},
      h('h1', {}, 'Page not found'),
      h('p', {}, h('a', { href: '#/interviews' }, 'Go to the interviews')),
    ),
  };
}
