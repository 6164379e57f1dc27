// The app version written into checkpoints and exports, from package.json (Vite's JSON import
// keeps only the named field in the bundle).
import { version } from '../../package.json';

export const APP_VERSION: string = version;
