#!/bin/sh
# Passes when the greeting lib greets the name given (default_args: world).
out=$(sh /opt/greeting/greet.sh "${1:-world}")
echo "$out"
[ "$out" = "Hello, ${1:-world}!" ]
