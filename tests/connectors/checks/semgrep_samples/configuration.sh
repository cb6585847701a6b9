#!/bin/sh
# Rule tests for configuration.yaml (semgrep --test): a start script.
# ruleid: node-tls-verification-disabled-by-environment
export NODE_TLS_REJECT_UNAUTHORIZED="0"
# ok: node-tls-verification-disabled-by-environment
exec node --use-openssl-ca dist/index.js
