// The dashboard shell: a nav bar and a hash router that mounts one page element at a time. Plain custom
// elements and ES modules: nothing to build, nothing fetched from outside the gateway.
import './pages.js';

const ROUTES = [
  { hash: '#/functions', label: 'Functions', tag: 'kf-functions' },
  { hash: '#/calls', label: 'Calls', tag: 'kf-calls' },
  { hash: '#/dead-letters', label: 'Dead letters', tag: 'kf-dead-letters' },
  { hash: '#/invoke', label: 'Invoke', tag: 'kf-invoke' },
];

class KfApp extends HTMLElement {
  connectedCallback() {
    this.innerHTML = `
      <header>
        <a class="brand" href="#/functions">kfaas</a>
        <nav>${ROUTES.map((r) => `<a href="${r.hash}" data-hash="${r.hash}">${r.label}</a>`).join('')}</nav>
      </header>
      <main></main>`;
    this.main = this.querySelector('main');
    this.onHash = () => this.route();
    window.addEventListener('hashchange', this.onHash);
    this.route();
  }

  disconnectedCallback() {
    window.removeEventListener('hashchange', this.onHash);
  }

  route() {
    const hash = location.hash || '#/functions';
    const fn = /^#\/function\/([^/]+)$/.exec(hash);
    const route = ROUTES.find((r) => r.hash === hash);
    const page = fn ? document.createElement('kf-function') : document.createElement(route ? route.tag : 'kf-functions');
    if (fn) page.setAttribute('name', decodeURIComponent(fn[1]));
    for (const a of this.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.hash === (fn ? '#/functions' : hash));
    this.main.replaceChildren(page);
  }
}

customElements.define('kf-app', KfApp);
