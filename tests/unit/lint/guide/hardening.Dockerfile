# Use specific version, not latest
FROM node:20-alpine3.18
# Create non-root user
RUN addgroup -g 1001 -S appgroup && \
adduser -S appuser -u 1001 -G appgroup
# Copy files with correct ownership
COPY --chown=appuser:appgroup . .
# Switch to non-root user
USER appuser
# Set explicit exposure
EXPOSE 3000
# Use exec form for CMD (proper signal handling)
CMD ["node", "server.js"]
