// Registers dependency-hooks.mjs. Hooks registered later run first, so import this after tsx
// (`node --import tsx --import ./bin/register-dependency-hooks.mjs`, or after tsx's register()).
import { register } from 'node:module';

register('./dependency-hooks.mjs', import.meta.url);
