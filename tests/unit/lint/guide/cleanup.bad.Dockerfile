FROM debian:12.5
# Anti-pattern: Build artifacts persist
RUN apt-get update && apt-get install build-essential
