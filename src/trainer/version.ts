/** The product version, from package.json (bundled by esbuild, copied by tsc). */
import pkg from '../../package.json';

export const STUDIO_VERSION: string = pkg.version;
export const PRODUCT = `centerfusion-studio ${STUDIO_VERSION}`;
