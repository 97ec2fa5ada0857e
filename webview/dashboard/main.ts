/**
 * The dashboard bundle (dist/webview/dashboard.js) serves two pages: one run (run.ts) and a
 * comparison of several runs (compare.ts). The host's embedded initial state says which.
 */

import { initialCompareState, startComparePage } from './compare';
import { startRunPage } from './run';

const compare = initialCompareState();
if (compare !== undefined) startComparePage(compare);
else startRunPage();
