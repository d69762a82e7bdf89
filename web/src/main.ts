// One bundle, two pages: the candidate's interview page under `/i/{token}` and the
// recruiter console everywhere else. Each page is its own chunk, loaded on demand.
import './styles/base.css';

const root = document.getElementById('app');

async function boot(container: HTMLElement): Promise<void> {
  const path = window.location.pathname;
  if (path.startsWith('/i/')) {
    const token = decodeURIComponent(path.slice('/i/'.length).replace(/\/+$/, ''));
    const { startCandidatePage } = await import('./candidate/page');
    startCandidatePage(container, token);
  } else {
    const { startConsole } = await import('./console/app');
    startConsole(container);
  }
}

if (root) {
  boot(root).catch(() => {
    root.textContent = 'The page could not load. Reload to try again.';
  });
}
