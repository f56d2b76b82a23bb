#!/usr/bin/env node
// Runs the built CLI. In this repository `npm ci` builds it (the root `prepare` script).
import "../dist/cli.js"
