#!/usr/bin/env node
// The `cityops` command. The gateway is TypeScript run through tsx's loader (no build step);
// see README "Why these dependencies".
import { register } from 'tsx/esm/api';

register();
await import('../gateway/cli/main.ts');
