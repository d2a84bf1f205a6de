#!/bin/sh
# Runs the Biome linter/formatter. The package registry this project installs from serves
# Biome's linux-x64 binary package only (the wrapper package's other platform binaries are
# missing there, which breaks `npm ci`), so the binary package is an optional dependency.
bin="$(dirname "$0")/../node_modules/@biomejs/cli-linux-x64/biome"
if [ ! -x "$bin" ]; then
  echo "biome: no binary for this platform (only linux-x64 is installed from the registry)" >&2
  exit 2
fi
exec "$bin" "$@"
