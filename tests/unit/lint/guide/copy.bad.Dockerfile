FROM node:20-alpine
WORKDIR /app
# Anti-pattern: Copies everything including .git, node_modules
COPY . .
