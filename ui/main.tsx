/** The dashboard: the overview grid at #/, an app's page at #/app/<name>?env=<env>. */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { connect, connected, loadSession, source } from './api.js';
import { TokenForm } from './actions.js';
import { AppPage } from './app-page.js';
import { Grid } from './grid.js';
import './style.css';

const route = signal(location.hash);
addEventListener('hashchange', () => (route.value = location.hash));

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function Page() {
  const m = /^#\/app\/([^?]+)(?:\?env=(.+))?$/.exec(route.value);
  if (m) return <AppPage app={decode(m[1]!)} env={m[2] ? decode(m[2]) : undefined} />;
  return <Grid />;
}

function Shell() {
  const src = source.value;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a href="#/" class="brand">
          Ferry
        </a>
        <output class={`conn ${connected.value}`}>
          {connected.value === 'live' ? 'live' : connected.value === 'lost' ? 'disconnected' : 'connecting…'}
        </output>
        {src && (
          <span class={src.error ? 'source failure' : 'source'}>
            {src.repo} {src.path !== '.' ? `(${src.path})` : ''} at {src.commit?.slice(0, 7) ?? '-'}
            {src.error ? `: ${src.error}` : ''}
          </span>
        )}
        <TokenForm />
      </header>
      <Page />
    </>
  );
}

connect();
void loadSession();
render(<Shell />, document.getElementById('root')!);
