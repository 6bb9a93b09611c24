#!/usr/bin/env node
// No build step: tsx's loader lets Node import the TypeScript sources directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
