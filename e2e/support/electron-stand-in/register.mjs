// `node --import ./register.mjs app.js`: the app then imports the stand-ins.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
