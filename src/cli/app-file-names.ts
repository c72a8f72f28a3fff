/** Which files of a folder `ferry render <folder>` reads as application files (kept light: read at start-up). */
import { extname } from 'node:path';

/** A YAML file that is not a golden output (`expected*.yaml` beside an example). */
export function isAppFileName(name: string): boolean {
  return ['.yaml', '.yml'].includes(extname(name)) && !name.startsWith('expected');
}
