#!/bin/sh
# Serves /app/www on $PORT until SIGTERM.
trap 'exit 0' TERM INT
httpd -f -p "${PORT:-3000}" -h /app/www &
echo "listening on ${PORT:-3000}"
wait
