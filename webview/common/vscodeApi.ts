/**
 * A typed wrapper around the `acquireVsCodeApi()` global that VS Code injects into webviews.
 * The API may be acquired only once per page, so every webview goes through `vscodeApi()`.
 *
 *   const api = vscodeApi<MyState, PageToHost>();
 *   api.postMessage({ type: 'ready' });
 *   const saved = api.getState();   // undefined on first load
 */

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): RawVsCodeApi;

export interface VsCodeApi<State, Outgoing> {
  /** Sends one message to the extension host (structured-clone serialisable). */
  postMessage(message: Outgoing): void;
  /** The state saved with setState, kept while the panel is hidden and across reloads. */
  getState(): State | undefined;
  setState(state: State): void;
}

let raw: RawVsCodeApi | undefined;

/**
 * Returns the page's API. `isState` (optional) checks what getState returns, since the saved
 * state may come from an older version of the page; state failing the check reads as undefined.
 */
export function vscodeApi<State, Outgoing>(isState?: (value: unknown) => value is State): VsCodeApi<State, Outgoing> {
  if (raw === undefined) {
    if (typeof acquireVsCodeApi !== 'function') throw new Error('vscodeApi: not running inside a VS Code webview');
    raw = acquireVsCodeApi();
  }
  const api = raw;
  return {
    postMessage: (message: Outgoing): void => api.postMessage(message),
    getState: (): State | undefined => {
      const value = api.getState();
      if (value === undefined || value === null) return undefined;
      if (isState !== undefined && !isState(value)) return undefined;
      return value as State;
    },
    setState: (state: State): void => api.setState(state),
  };
}
