FROM debian:12.5
# Better: Clean in same layer
RUN apt-get update && apt-get install -y build-essential \
&& rm -rf /var/lib/apt/lists/*
