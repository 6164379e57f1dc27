// A panel that throws while rendering (a damaged record, a bug) shows what failed in its own place;
// the rest of the page goes on working. React's error boundaries are class components.
import { Component, type ReactNode } from 'react';

interface Props {
  name: string;
  children: ReactNode;
}

/** The session flag a browser test sets to make one panel throw while rendering, so the
 *  boundary can be tested without a real bug (test/e2e/robustness.spec.ts). */
export const CRASH_PANEL_FLAG = 'vicreg:test-crash-panel';

function Tripwire({ name }: { name: string }) {
  if (typeof sessionStorage !== 'undefined' && sessionStorage.getItem(CRASH_PANEL_FLAG) === name) {
    throw new Error(`${name} was made to fail for a test`);
  }
  return null;
}
interface State {
  error: Error | null;
}

export class PanelBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(error: unknown) {
    console.error(`the ${this.props.name} panel failed:`, error);
  }

  render() {
    const { error } = this.state;
    if (!error)
      return (
        <>
          <Tripwire name={this.props.name} />
          {this.props.children}
        </>
      );
    return (
      <section className="panel panel-failed" data-testid="panel-failed" data-panel={this.props.name} role="alert">
        <h2>{this.props.name}</h2>
        <p className="error">This panel stopped: {error.message}. The rest of the studio works, and nothing stored was changed.</p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </section>
    );
  }
}
