#!/bin/sh
# Greets each name given, or the world.
[ $# -eq 0 ] && set -- world
for name in "$@"; do echo "Hello, $name!"; done
