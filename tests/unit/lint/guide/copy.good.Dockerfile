FROM node:20-alpine
WORKDIR /app
# Better: Only copy necessary files
COPY package*.json ./
COPY src ./src
